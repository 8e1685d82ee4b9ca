/**
 * One `Watch` call. Lossy on purpose: an event is written only when gRPC's buffer for this watcher
 * has room; otherwise it is skipped. A slow watcher sees fewer frames and never holds
 * up the stream it watches.
 */
import { type ServerWritableStream, status } from '@grpc/grpc-js';
import type { WatchRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import type { EncodedWatchEvent } from './watch-codec.js';

/** A `Watch` call, writing events encoded once for every watcher (`watch-codec.ts`). */
export type WatchCall = ServerWritableStream<WatchRequest, EncodedWatchEvent>;

const DEFAULT_MAX_WIDTH = 640;

export class Watcher {
  /** Widest display image this watcher wants. */
  readonly maxWidth: number;
  readonly #call: WatchCall;
  #writable = true;
  #ended = false;

  constructor(call: WatchCall) {
    this.#call = call;
    this.maxWidth = call.request.maxWidth > 0 ? call.request.maxWidth : DEFAULT_MAX_WIDTH;
    call.on('drain', () => {
      this.#writable = true;
    });
  }

  /** Writes `event` if the watcher keeps up; drops it otherwise. */
  offer(event: EncodedWatchEvent): void {
    if (this.#ended) return;
    if (!this.#writable) return;
    this.#writable = this.#call.write(event);
  }

  /** Ends the call with OK: the watched stream is over. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#call.end();
  }

  /** Ends the call with UNAVAILABLE, for a shutdown. */
  abort(details: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#call.emit('error', { code: status.UNAVAILABLE, details });
  }

  /** Marks the watcher gone (the client cancelled). */
  detach(): void {
    this.#ended = true;
  }
}
