/**
 * At most `limit` requests sent and not yet answered. gRPC buffers writes on the client side too
 * (grpc-js accepts 16 messages before `write()` returns false, and HTTP/2 holds more), so a client
 * that relies on the server's window alone has frames waiting in its own send buffers, and the
 * latency it measures includes that wait. Holding the client to the same window keeps every sent
 * frame in the server's hands.
 */
export class InFlightLimit {
  readonly limit: number;
  #inFlight = 0;
  #waiter: (() => void) | undefined;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waits for a free slot and takes it; rejects with the signal's reason when it aborts. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.#inFlight >= this.limit) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal?.reason);
        this.#waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.#inFlight++;
  }

  /** Frees a slot: an answer arrived. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
