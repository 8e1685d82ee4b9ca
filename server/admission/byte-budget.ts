/**
 * The server's budget of item bytes. Every item's bytes count from the moment they are read until
 * the item is answered, and a stream that reads reserves room for its next message (the size of
 * its last one) before it reads it: so bytes held plus bytes about to arrive stay within the
 * limit. A stream that finds no room stops being read (backpressure) and waits here, in the order
 * streams asked, until answered items make room. A unary call that does not fit is refused with
 * RESOURCE_EXHAUSTED.
 */

/** A stream waiting for room. */
interface Waiter {
  readonly bytes: number;
  readonly ready: () => void;
}

export class ByteBudget {
  /** Most bytes held or reserved at once (one item larger than this passes when nothing else is held). */
  readonly limit: number;
  #used = 0;
  readonly #waiters = new Set<Waiter>();

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.limit = limit;
  }

  /** Bytes held or reserved now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Reserves `bytes` when they fit and nobody waits before the caller; always when nothing is
   * held, so that any single item can pass. False when it did not reserve.
   */
  tryReserve(bytes: number): boolean {
    const fits = this.#used === 0 || (this.#waiters.size === 0 && this.#used + bytes <= this.limit);
    if (fits) this.#used += bytes;
    return fits;
  }

  /**
   * Reserves `bytes` as soon as they fit, after the streams that asked before, then calls
   * `ready`; returns a function that stops waiting (idempotent, harmless after `ready`).
   */
  reserveWhenRoom(bytes: number, ready: () => void): () => void {
    const waiter: Waiter = { bytes, ready };
    this.#waiters.add(waiter);
    this.#wake();
    return () => {
      this.#waiters.delete(waiter);
    };
  }

  /** Counts bytes that were read without a reservation covering them. */
  take(bytes: number): void {
    this.#used += bytes;
  }

  /** Gives bytes (held or reserved) back and wakes the waiters they make room for. */
  release(bytes: number): void {
    if (bytes === 0) return;
    this.#used = Math.max(0, this.#used - bytes);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters) {
      if (this.#used !== 0 && this.#used + waiter.bytes > this.limit) return;
      this.#waiters.delete(waiter);
      this.#used += waiter.bytes;
      waiter.ready();
    }
  }
}
