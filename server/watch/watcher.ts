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

/** Width of the display images a watcher gets when it does not ask for a width. */
export const DEFAULT_WATCH_WIDTH = 640;

/**
 * Widest display image any watcher can ask for; wider requests get this. A published stream's
 * JPEGs are made in its producer's worker for the widest watcher, so without a bound any watcher
 * could make another client's frames cost a full-resolution JPEG encode each.
 */
export const MAX_WATCH_WIDTH = 1920;

export class Watcher {
  /** Widest display image this watcher wants: its request's `max_width`, at most `MAX_WATCH_WIDTH`. */
  readonly maxWidth: number;
  readonly #call: WatchCall;
  #writable = true;
  #ended = false;

  constructor(call: WatchCall) {
    this.#call = call;
    const asked = call.request.maxWidth;
    this.maxWidth = asked > 0 ? Math.min(asked, MAX_WATCH_WIDTH) : DEFAULT_WATCH_WIDTH;
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
