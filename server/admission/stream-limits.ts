/**
 * Limits on concurrent streams, in total and per client connection, so that the number of
 * streams (and the memory each one holds) cannot grow with what clients open.
 */
import { SluiceError } from '../errors.js';

/** Options of `StreamLimits`. */
export interface StreamLimitsOptions {
  /** Streams open at once on the server. */
  readonly maxStreams: number;
  /** Streams open at once on one connection. */
  readonly maxStreamsPerConnection: number;
}

export class StreamLimits {
  readonly #options: StreamLimitsOptions;
  readonly #perConnection = new Map<string, number>();
  #open = 0;

  constructor(options: StreamLimitsOptions) {
    this.#options = options;
  }

  /**
   * Admits a stream from `connection` (the peer address, unique per connection) and returns the
   * function that gives its place back (idempotent); throws RESOURCE_EXHAUSTED over a limit.
   */
  admit(connection: string): () => void {
    const { maxStreams, maxStreamsPerConnection } = this.#options;
    if (this.#open >= maxStreams) {
      throw new SluiceError('LIMIT_EXCEEDED', `the server has ${this.#open} streams open, the most it serves (--max-streams); retry later`);
    }
    const onConnection = this.#perConnection.get(connection) ?? 0;
    if (onConnection >= maxStreamsPerConnection) {
      throw new SluiceError('LIMIT_EXCEEDED', `this connection has ${onConnection} streams open, the most one connection may have (--max-streams-per-connection)`);
    }
    this.#open++;
    this.#perConnection.set(connection, onConnection + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const left = (this.#perConnection.get(connection) ?? 1) - 1;
      if (left === 0) this.#perConnection.delete(connection);
      else this.#perConnection.set(connection, left);
    };
  }
}
