import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { paceFrames } from '../../../client/sources/pace-frames.js';

async function* count(n: number, everyMs = 0): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    if (everyMs > 0) await sleep(everyMs);
    yield i;
  }
}

test('a source read on demand is slowed down to the rate', async () => {
  const start = performance.now();
  const times: number[] = [];
  for await (const _ of paceFrames(count(11), { fps: () => 50, live: false })) times.push(performance.now() - start);
  assert.equal(times.length, 11);
  // Frame i goes at i * 20 ms.
  assert.ok((times.at(-1) as number) >= 195, `last frame at ${times.at(-1)} ms`);
  assert.ok((times.at(-1) as number) < 400, `last frame at ${times.at(-1)} ms`);
});

test('a live source faster than the rate has frames skipped; no rate means no pacing', async () => {
  let skipped = 0;
  const got: number[] = [];
  for await (const i of paceFrames(count(30, 5), { fps: () => 50, live: true, onSkip: () => skipped++ })) got.push(i);
  assert.equal(got.length + skipped, 30);
  assert.ok(skipped >= 10, `skipped ${skipped}`);
  assert.equal(got[0], 0);
  const all: number[] = [];
  for await (const i of paceFrames(count(5), { fps: () => undefined, live: false })) all.push(i);
  assert.deepEqual(all, [0, 1, 2, 3, 4]);
});

test('pacing stops when its signal aborts', async () => {
  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error('stop')), 50);
  await assert.rejects(async () => {
    for await (const _ of paceFrames(count(100), { fps: () => 2, live: false, signal: abort.signal })) void _;
  }, /stop/);
});
