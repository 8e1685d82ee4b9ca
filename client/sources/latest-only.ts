/**
 * Freshest-item-only reading of an async sequence, for live sources: the source is read as fast
 * as it yields, and at most one item waits for the consumer. A consumer that pulls only when it
 * can send (a free slot in its window, a writable transport) always gets the newest item there
 * is, and nothing piles up between a camera and the network however slow the far end is.
 */

/** Options of `latestOnly`. */
export interface LatestOnlyOptions<T> {
  /**
   * Called with each item pushed out, unseen, by a newer one. Items left unread because the
   * consumer stopped early (`break`, abort) are not reported: nobody was waiting for them. If it
   * throws, the iteration ends with that error and the source is closed.
   */
  readonly onDrop?: (item: T) => void;
  /**
   * Stops reading: the source is closed, the waiting item is discarded, and a pending or later
   * `next()` rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/**
 * `source`, holding at most one item not yet taken: when a newer item arrives while one waits,
 * the waiting one is dropped (`onDrop`) and replaced. Reading starts when iteration starts. The
 * end of the source ends the iteration once the waiting item is taken; an error of the source is
 * thrown after it; `break` or `return()` closes the source.
 */
export function latestOnly<T>(source: AsyncIterable<T>, options: LatestOnlyOptions<T> = {}): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => new LatestOnlyReader(source, options),
  };
}

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(reason: unknown): void;
}

/** Where a reader is: its source being read, over, or the consumer done with it. */
type State =
  /** The source is being read. */
  | { readonly kind: 'reading' }
  /** The source is over (`failed`, with `error`); the held item, then the end, are still to be delivered. */
  | { readonly kind: 'ended'; readonly failed: boolean; readonly error: unknown }
  /** The consumer has had the end or the error, or called return(): every next() is done. */
  | { readonly kind: 'closed' }
  /** The signal fired: every next() rejects with its reason. */
  | { readonly kind: 'aborted' };

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

class LatestOnlyReader<T> implements AsyncIterator<T, undefined> {
  readonly #onDrop: ((item: T) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#abort();
  #iterator: AsyncIterator<T> | undefined;
  #state: State = { kind: 'reading' };
  /** The item waiting for the consumer; boxed, since `undefined` can be an item. */
  #held: { readonly item: T } | undefined;
  /** Consumers waiting for an item; only ever present while nothing is held. */
  readonly #waiters: Waiter<T>[] = [];

  constructor(source: AsyncIterable<T>, options: LatestOnlyOptions<T>) {
    this.#onDrop = options.onDrop;
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) {
      this.#state = { kind: 'aborted' };
      return;
    }
    try {
      this.#iterator = source[Symbol.asyncIterator]();
    } catch (err: unknown) {
      this.#state = { kind: 'ended', failed: true, error: err };
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    void this.#pump(this.#iterator);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const state = this.#state;
    if (state.kind === 'aborted') return Promise.reject(this.#signal?.reason);
    if (state.kind === 'closed') return Promise.resolve(DONE);
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      return Promise.resolve({ done: false, value: held.item });
    }
    if (state.kind === 'ended') {
      this.#finish({ kind: 'closed' });
      return state.failed ? Promise.reject(state.error) : Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stops reading and closes the source without waiting for it: a source blocked on its next item would hold the consumer up. */
  return(): Promise<IteratorResult<T, undefined>> {
    if (this.#state.kind === 'reading') this.#closeSource();
    if (this.#state.kind !== 'aborted') this.#finish({ kind: 'closed' });
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
    return Promise.resolve(DONE);
  }

  async #pump(iterator: AsyncIterator<T>): Promise<void> {
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await iterator.next();
      } catch (err: unknown) {
        this.#end(true, err);
        return;
      }
      // Stopped while the source was producing: whatever it made is unwanted.
      if (this.#state.kind !== 'reading') return;
      if (result.done === true) {
        this.#end(false, undefined);
        return;
      }
      try {
        this.#offer(result.value);
      } catch (err: unknown) {
        // An `onDrop` that throws ends the sequence like a failing source would.
        this.#end(true, err);
        this.#closeSource();
        return;
      }
    }
  }

  #offer(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: item });
      return;
    }
    const stale = this.#held;
    this.#held = { item };
    if (stale !== undefined) this.#onDrop?.(stale.item);
  }

  #end(failed: boolean, error: unknown): void {
    if (this.#state.kind !== 'reading') return;
    const waiters = this.#waiters.splice(0);
    if (waiters.length === 0) {
      // Delivered by next(), after the held item.
      this.#state = { kind: 'ended', failed, error };
      return;
    }
    this.#finish({ kind: 'closed' });
    const [first, ...rest] = waiters;
    if (failed) first?.reject(error);
    else first?.resolve(DONE);
    for (const waiter of rest) waiter.resolve(DONE);
  }

  #abort(): void {
    if (this.#state.kind === 'reading') this.#closeSource();
    this.#finish({ kind: 'aborted' });
    const reason: unknown = this.#signal?.reason;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
  }

  /** Enters a final state: nothing held, nothing more read, the signal let go. */
  #finish(state: State): void {
    this.#state = state;
    this.#held = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #closeSource(): void {
    const iterator = this.#iterator;
    // A source that fails while closing has nobody left to tell.
    void (async () => {
      await iterator?.return?.();
    })().catch(() => undefined);
  }
}
