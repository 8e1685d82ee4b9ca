/**
 * A browser's frames relayed as one `Predict` stream with DROP_POLICY_DROP_OLDEST, published under
 * a name. Never queues: a frame that arrives while the gRPC stream is not draining is not
 * forwarded, and the caller answers it as dropped.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { imageRequest } from '../../client/index.js';
import { DropPolicy, type PredictRequest, type PredictResponse, ResponseOrder } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

/** Settings of one source stream. */
export interface SourceRelayOptions {
  readonly model: string;
  /** The stream's window, `max_in_flight`. */
  readonly window: number;
  /** Name the stream is published under. */
  readonly publish: string;
  /** `item_timeout_ms`; 0: none. */
  readonly itemTimeoutMs: number;
}

export interface SourceRelayHandlers {
  onResponse(response: PredictResponse): void;
  /** Called once when the stream is over: `error` is undefined when it ended with OK. */
  onEnd(error: unknown): void;
}

export class SourceRelay {
  readonly options: SourceRelayOptions;
  readonly #call: ClientDuplexStream<PredictRequest, PredictResponse>;
  #first = true;
  #congested = false;
  #ending = false;

  constructor(upstream: SluiceUpstream, options: SourceRelayOptions, handlers: SourceRelayHandlers) {
    this.options = options;
    this.#call = upstream.predict();
    this.#call.on('drain', () => {
      this.#congested = false;
    });
    void this.#read(handlers);
  }

  /**
   * Forwards frame `index` (encoded JPEG, PNG or WebP bytes). Returns false, forwarding nothing,
   * when the stream is ending or gRPC has not taken the previous frames yet.
   */
  push(index: number, frame: Uint8Array): boolean {
    if (this.#ending || this.#congested) return false;
    const request: PredictRequest = {
      ...imageRequest(this.options.model, frame, String(index)),
      streamOptions: this.#first
        ? {
            order: ResponseOrder.RESPONSE_ORDER_REQUEST,
            maxInFlight: this.options.window,
            dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST,
            itemTimeoutMs: this.options.itemTimeoutMs,
            publish: this.options.publish,
          }
        : undefined,
    };
    this.#first = false;
    if (!this.#call.write(request)) this.#congested = true;
    return true;
  }

  /** Ends the request side; frames already forwarded are still answered. Idempotent. */
  stop(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#call.end();
  }

  /** Cancels the call; answers still in flight are lost. Idempotent. */
  cancel(): void {
    this.#ending = true;
    this.#call.cancel();
  }

  async #read(handlers: SourceRelayHandlers): Promise<void> {
    try {
      for await (const response of this.#call as AsyncIterable<PredictResponse>) handlers.onResponse(response);
    } catch (err: unknown) {
      handlers.onEnd(err);
      return;
    }
    handlers.onEnd(undefined);
  }
}
