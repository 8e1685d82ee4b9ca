/**
 * A `Watch` call relayed to one socket. The server's Watch is lossy, so reading it as fast as it
 * comes never slows the watched stream; the socket's own limit is applied by `SocketSender`.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { WatchRequest, WatchResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

export interface WatchRelayHandlers {
  onItem(item: WatchResponse): void;
  /** Called once when the call is over: `error` is undefined when the watched stream ended. */
  onEnd(error: unknown): void;
}

export class WatchRelay {
  readonly request: WatchRequest;
  readonly #call: ClientReadableStream<WatchResponse>;

  constructor(upstream: SluiceUpstream, request: WatchRequest, handlers: WatchRelayHandlers) {
    this.request = request;
    this.#call = upstream.watch(request);
    void this.#read(handlers);
  }

  /** Cancels the call. Idempotent. */
  cancel(): void {
    this.#call.cancel();
  }

  async #read(handlers: WatchRelayHandlers): Promise<void> {
    try {
      for await (const item of this.#call as AsyncIterable<WatchResponse>) handlers.onItem(item);
    } catch (err: unknown) {
      handlers.onEnd(err);
      return;
    }
    handlers.onEnd(undefined);
  }
}
