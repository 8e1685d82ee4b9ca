/**
 * A browser's frames relayed as one `Predict` stream with DROP_POLICY_DROP_OLDEST, published under
 * a name. Never queues: a frame is forwarded when fewer than `window` forwarded frames are
 * unanswered and gRPC is taking writes; until then it waits here, alone, and a fresher frame
 * replaces it (the replaced one is dropped, and answered as such in its turn). The bridge holds at
 * most one frame per source however slow the model or the network, and what it forwards is the
 * freshest it has.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { imageRequest } from '../../client/index.js';
import { DropPolicy, type PredictRequest, type PredictResponse, ResponseOrder } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

/** Settings of one source stream. */
export interface SourceRelayOptions {
  readonly model: string;
  /** The stream's window, `max_in_flight`; the relay keeps to it too. */
  readonly window: number;
  /** Name the stream is published under. */
  readonly publish: string;
  /** `item_timeout_ms`; 0: none. */
  readonly itemTimeoutMs: number;
  /** Only the publisher's credentials may list and watch it; for the server, that is the bridge's token. */
  readonly private: boolean;
}

/** Every call is in frame order: the answers to frames 0, 1, 2... one after the other. */
export interface SourceRelayHandlers {
  /** The server's answer to a forwarded frame. */
  onResponse(response: PredictResponse): void;
  /** Frame `index` was never forwarded: a fresher frame replaced it, or the stream ended first. */
  onDropped(index: number): void;
  /** Called once when the stream is over: `error` is undefined when it ended with OK. */
  onEnd(error: unknown): void;
}

/** What became of the frames pushed so far. */
export interface RelayFrameCounts {
  /** Written to the gRPC stream. */
  readonly forwarded: number;
  /** Held here, not yet forwarded: 0 or 1. */
  readonly waiting: number;
  /** Never forwarded, replaced by a fresher frame (or still held when the stream ended). */
  readonly dropped: number;
}

/** A frame not yet answered to the browser, in frame order. */
interface Unanswered {
  readonly index: number;
  /** Waiting for the server's answer; otherwise dropped here and waiting for its turn to be told. */
  readonly forwarded: boolean;
}

export class SourceRelay {
  readonly options: SourceRelayOptions;
  readonly #call: ClientDuplexStream<PredictRequest, PredictResponse>;
  readonly #handlers: SourceRelayHandlers;
  readonly #unanswered: Unanswered[] = [];
  #waiting: { readonly index: number; readonly frame: Uint8Array } | undefined;
  #inFlight = 0;
  #forwarded = 0;
  #dropped = 0;
  #first = true;
  #congested = false;
  /** `stop()` was called: the request side ends once the waiting frame is forwarded. */
  #stopping = false;
  /** The request side is ended, or the call cancelled or over: nothing more is written. */
  #closed = false;

  constructor(upstream: SluiceUpstream, options: SourceRelayOptions, handlers: SourceRelayHandlers) {
    this.options = options;
    this.#handlers = handlers;
    this.#call = upstream.predict();
    this.#call.on('drain', () => {
      this.#congested = false;
      this.#pump();
    });
    void this.#read();
  }

  get counts(): RelayFrameCounts {
    return { forwarded: this.#forwarded, waiting: this.#waiting === undefined ? 0 : 1, dropped: this.#dropped };
  }

  /**
   * Takes frame `index` (encoded JPEG, PNG or WebP bytes): forwarded at once if the window and
   * gRPC allow, else held in place of the frame held so far, which is dropped. Returns false,
   * taking nothing, once the relay is stopping or over.
   */
  push(index: number, frame: Uint8Array): boolean {
    if (this.#stopping || this.#closed) return false;
    const stale = this.#waiting;
    this.#waiting = { index, frame };
    if (stale !== undefined) this.#drop(stale.index);
    this.#pump();
    return true;
  }

  /** Ends the request side once the waiting frame is forwarded; frames forwarded are still answered. Idempotent. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#pump();
  }

  /** Cancels the call; answers still in flight are lost. Idempotent. */
  cancel(): void {
    this.#stopping = true;
    this.#closed = true;
    this.#call.cancel();
  }

  #pump(): void {
    while (this.#waiting !== undefined && !this.#closed && !this.#congested && this.#inFlight < this.options.window) {
      const { index, frame } = this.#waiting;
      this.#waiting = undefined;
      this.#write(index, frame);
    }
    if (this.#stopping && this.#waiting === undefined && !this.#closed) {
      this.#closed = true;
      this.#call.end();
    }
  }

  #write(index: number, frame: Uint8Array): void {
    const request: PredictRequest = {
      ...imageRequest(this.options.model, frame, String(index)),
      streamOptions: this.#first
        ? {
            order: ResponseOrder.RESPONSE_ORDER_REQUEST,
            maxInFlight: this.options.window,
            dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST,
            itemTimeoutMs: this.options.itemTimeoutMs,
            publish: this.options.publish,
            private: this.options.private,
          }
        : undefined,
    };
    this.#first = false;
    this.#inFlight++;
    this.#forwarded++;
    this.#unanswered.push({ index, forwarded: true });
    if (!this.#call.write(request)) this.#congested = true;
  }

  #drop(index: number): void {
    this.#dropped++;
    // Told at once when nothing before it is unanswered; otherwise after the answers before it.
    if (this.#unanswered.length === 0) this.#handlers.onDropped(index);
    else this.#unanswered.push({ index, forwarded: false });
  }

  #answer(response: PredictResponse): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#tellDropped();
    const next = this.#unanswered[0];
    if (next !== undefined && String(next.index) === response.id) this.#unanswered.shift();
    this.#handlers.onResponse(response);
    this.#tellDropped();
    this.#pump();
  }

  /** Tells the drops at the head of the line: they come before the next forwarded frame. */
  #tellDropped(): void {
    while (this.#unanswered[0]?.forwarded === false) this.#handlers.onDropped((this.#unanswered.shift() as Unanswered).index);
  }

  async #read(): Promise<void> {
    let error: unknown;
    try {
      for await (const response of this.#call as AsyncIterable<PredictResponse>) this.#answer(response);
    } catch (err: unknown) {
      error = err;
    }
    this.#closed = true;
    // Every frame still gets its answer: the held one and those dropped behind unanswered ones.
    const held = this.#waiting;
    this.#waiting = undefined;
    if (held !== undefined) {
      this.#dropped++;
      this.#unanswered.push({ index: held.index, forwarded: false });
    }
    for (const frame of this.#unanswered.splice(0)) if (!frame.forwarded) this.#handlers.onDropped(frame.index);
    this.#handlers.onEnd(error);
  }
}
