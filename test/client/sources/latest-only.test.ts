import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { latestOnly } from '../../../client/sources/latest-only.js';

/** A source the test drives by hand: items, the end and errors come when the test says. */
class Feed<T> {
  readonly #queue: ({ readonly item: T } | { readonly end: true } | { readonly error: unknown })[] = [];
  #wake: (() => void) | undefined;
  /** The generator's body began. */
  started = false;
  /** The generator's `finally` ran: the source was released. */
  closed = false;

  push(...items: T[]): void {
    for (const item of items) this.#queue.push({ item });
    this.#wake?.();
  }

  end(): void {
    this.#queue.push({ end: true });
    this.#wake?.();
  }

  fail(error: unknown): void {
    this.#queue.push({ error });
    this.#wake?.();
  }

  async *items(): AsyncGenerator<T> {
    this.started = true;
    try {
      for (;;) {
        while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
        const next = this.#queue.shift();
        if (next === undefined || 'end' in next) return;
        if ('error' in next) throw next.error;
        yield next.item;
      }
    } finally {
      this.closed = true;
    }
  }
}

/** Fails the test if a promise rejection goes unhandled while it runs. */
function noUnhandledRejections(t: { after(fn: () => void): void }): void {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  t.after(() => {
    process.off('unhandledRejection', listener);
    assert.deepEqual(seen, []);
  });
}

test('the consumer gets the freshest item; the ones it had no time for are dropped, oldest first', async (t) => {
  noUnhandledRejections(t);
  const feed = new Feed<number>();
  const dropped: number[] = [];
  const items = latestOnly(feed.items(), { onDrop: (item) => dropped.push(item) })[Symbol.asyncIterator]();
  // A consumer already waiting gets the item at once: nothing is dropped.
  const first = items.next();
  feed.push(0);
  assert.deepEqual(await first, { done: false, value: 0 });
  // Three arrive while the consumer is busy: the first two are pushed out by the third.
  feed.push(1, 2, 3);
  await tick();
  assert.deepEqual(dropped, [1, 2]);
  assert.deepEqual(await items.next(), { done: false, value: 3 });
  const waiting = items.next();
  feed.push(4);
  assert.deepEqual(await waiting, { done: false, value: 4 });
  feed.push(5);
  feed.end();
  await tick();
  assert.deepEqual(await items.next(), { done: false, value: 5 });
  assert.deepEqual(await items.next(), { done: true, value: undefined });
  assert.deepEqual(dropped, [1, 2]);
  assert.equal(feed.closed, true);
});

test('a source faster than its consumer: every item is taken or dropped, in order, and the last one is taken', async (t) => {
  noUnhandledRejections(t);
  const count = 200;
  async function* fast(): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) {
      await sleep(1);
      yield i;
    }
  }
  const taken: number[] = [];
  const dropped: number[] = [];
  for await (const item of latestOnly(fast(), { onDrop: (item) => dropped.push(item) })) {
    taken.push(item);
    await sleep(5);
  }
  t.diagnostic(`${taken.length} taken, ${dropped.length} dropped`);
  assert.equal(taken.length + dropped.length, count);
  assert.ok(dropped.length > count / 2, `only ${dropped.length} of ${count} dropped by a consumer taking 5 ms per item`);
  assert.equal(taken.at(-1), count - 1, 'the newest item is never dropped');
  assert.deepEqual([...taken, ...dropped].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
  assert.ok(taken.every((item, i) => i === 0 || item > (taken[i - 1] as number)), 'taken in source order');
  assert.ok(dropped.every((item, i) => i === 0 || item > (dropped[i - 1] as number)), 'dropped in source order');
});

test('the end of the source ends the iteration once the held item is taken; the signal is let go', async (t) => {
  noUnhandledRejections(t);
  const feed = new Feed<string>();
  const abort = new AbortController();
  const items = latestOnly(feed.items(), { signal: abort.signal })[Symbol.asyncIterator]();
  assert.equal(getEventListeners(abort.signal, 'abort').length, 1);
  feed.push('a');
  feed.end();
  await tick();
  assert.equal(feed.closed, true);
  assert.deepEqual(await items.next(), { done: false, value: 'a' });
  assert.deepEqual(await items.next(), { done: true, value: undefined });
  assert.deepEqual(await items.next(), { done: true, value: undefined });
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  // An abort after the end changes nothing.
  abort.abort(new Error('late'));
  assert.deepEqual(await items.next(), { done: true, value: undefined });
});

test('an error of the source is thrown once, after the held item; a waiting consumer gets it at once', async (t) => {
  noUnhandledRejections(t);
  const broken = Object.assign(new Error('camera unplugged'), { code: 'SOURCE_FAILED' });

  const feed = new Feed<number>();
  const taken: number[] = [];
  const loop = (async () => {
    for await (const item of latestOnly(feed.items())) taken.push(item);
  })();
  feed.push(1);
  await tick();
  feed.push(2);
  feed.fail(broken);
  await assert.rejects(loop, (err: unknown) => err === broken);
  assert.deepEqual(taken, [1, 2]);

  const idle = new Feed<number>();
  const items = latestOnly(idle.items())[Symbol.asyncIterator]();
  const waiting = items.next();
  idle.fail(broken);
  await assert.rejects(waiting, (err: unknown) => err === broken);
  assert.deepEqual(await items.next(), { done: true, value: undefined });
  assert.equal(idle.closed, true);
});

test('aborting rejects the waiting consumer with the reason, discards the held item, closes the source and lets go of the signal', async (t) => {
  noUnhandledRejections(t);
  const reason = new Error('stopped');
  const feed = new Feed<number>();
  const abort = new AbortController();
  const dropped: number[] = [];
  const items = latestOnly(feed.items(), { signal: abort.signal, onDrop: (item) => dropped.push(item) })[Symbol.asyncIterator]();
  feed.push(0);
  assert.deepEqual(await items.next(), { done: false, value: 0 });
  const waiting = items.next();
  abort.abort(reason);
  await assert.rejects(waiting, (err: unknown) => err === reason);
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  await assert.rejects(items.next(), (err: unknown) => err === reason);
  // The source was blocked on its next item: it is released once that comes, which is discarded.
  feed.push(1, 2);
  await tick();
  assert.equal(feed.closed, true);
  assert.deepEqual(dropped, []);
  await assert.rejects(items.next(), (err: unknown) => err === reason);

  const held = new Feed<number>();
  const stop = new AbortController();
  const heldItems = latestOnly(held.items(), { signal: stop.signal })[Symbol.asyncIterator]();
  held.push(7);
  await tick();
  stop.abort(reason);
  await assert.rejects(heldItems.next(), (err: unknown) => err === reason, 'a held item is discarded, not delivered after the abort');
});

test('a signal aborted beforehand: the source is never read', async (t) => {
  noUnhandledRejections(t);
  const reason = new Error('too late');
  const feed = new Feed<number>();
  const items = latestOnly(feed.items(), { signal: AbortSignal.abort(reason) })[Symbol.asyncIterator]();
  feed.push(1);
  await tick();
  await assert.rejects(items.next(), (err: unknown) => err === reason);
  assert.equal(feed.started, false);
});

test('leaving the loop closes the source without waiting for it, and drops nothing', async (t) => {
  noUnhandledRejections(t);
  const feed = new Feed<number>();
  const abort = new AbortController();
  const dropped: number[] = [];
  feed.push(0);
  for await (const item of latestOnly(feed.items(), { signal: abort.signal, onDrop: (i) => dropped.push(i) })) {
    assert.equal(item, 0);
    break;
  }
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
  assert.equal(feed.closed, false, 'the source is still blocked on its next item');
  feed.push(1, 2);
  await tick();
  assert.equal(feed.closed, true);
  assert.deepEqual(dropped, []);
});

test('an onDrop that throws ends the iteration with its error and closes the source', async (t) => {
  noUnhandledRejections(t);
  const feed = new Feed<number>();
  const broken = new Error('onDrop failed');
  const items = latestOnly(feed.items(), {
    onDrop: () => {
      throw broken;
    },
  })[Symbol.asyncIterator]();
  feed.push(1, 2);
  await tick();
  assert.deepEqual(await items.next(), { done: false, value: 2 });
  await assert.rejects(items.next(), (err: unknown) => err === broken);
  feed.push(3);
  await tick();
  assert.equal(feed.closed, true);
});
