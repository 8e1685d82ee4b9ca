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
  #call: ClientReadableStream<WatchResponse> | undefined;
  #cancelled = false;

  /**
   * Opens the Watch call, once `gate` (if any) resolves; a gate that rejects ends the relay with
   * its error and the call is never made.
   */
  constructor(upstream: SluiceUpstream, request: WatchRequest, handlers: WatchRelayHandlers, gate?: () => Promise<void>) {
    this.request = request;
    if (gate === undefined) {
      this.#open(upstream, handlers);
      return;
    }
    gate().then(
      () => {
        if (!this.#cancelled) this.#open(upstream, handlers);
      },
      (err: unknown) => {
        if (!this.#cancelled) handlers.onEnd(err);
      },
    );
  }

  /** Cancels the call (or keeps it from opening). Idempotent. */
  cancel(): void {
    this.#cancelled = true;
    this.#call?.cancel();
  }

  #open(upstream: SluiceUpstream, handlers: WatchRelayHandlers): void {
    const call = upstream.watch(this.request);
    this.#call = call;
    void this.#read(call, handlers);
  }

  async #read(call: ClientReadableStream<WatchResponse>, handlers: WatchRelayHandlers): Promise<void> {
    try {
      for await (const item of call as AsyncIterable<WatchResponse>) handlers.onItem(item);
    } catch (err: unknown) {
      handlers.onEnd(err);
      return;
    }
    handlers.onEnd(undefined);
  }
}
