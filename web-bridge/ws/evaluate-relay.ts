/**
 * An evaluation's images through one `Predict` stream that drops nothing (DROP_POLICY_NONE,
 * answers in request order), each answered once, in order. Unlike a live source, nothing here is
 * ever dropped: the relay takes the next image from its feed (reading it from disk, for a
 * dataset) only while fewer than `window` images are unanswered or undelivered, gRPC is taking
 * writes and the socket has room; an answer waits for the socket to drain rather than being
 * dropped. So a slow model, network or browser slows the reading, and the bridge holds at most
 * `window` images and `window` answers per evaluation.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { imageRequest } from '../../client/index.js';
import { DropPolicy, type PredictRequest, PredictResponse, ResponseOrder } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';
import type { EvaluateFeed } from './evaluate-feed.js';

/** How often a relay whose answers wait for the socket looks at it again. */
const SOCKET_POLL_MS = 10;

/** Settings of one evaluation stream. */
export interface EvaluateRelayOptions {
  readonly model: string;
  /** Images unanswered or undelivered at most; the stream's `max_in_flight`. */
  readonly window: number;
}

export interface EvaluateRelayHandlers {
  /** Whether the socket can take a result now without going over its limit. */
  hasRoom(): boolean;
  /** Image `index`'s answer; called in index order, once per image, only after `hasRoom()` said yes. */
  onResult(index: number, response: PredictResponse): void;
  /** Called once: every image answered (`error` undefined), or the stream failed. Never after `cancel()`. */
  onEnd(error: unknown): void;
}

/** What became of the images so far. */
export interface EvaluateCounts {
  /** Written to the gRPC stream. */
  readonly forwarded: number;
  /** Answers the server gave. */
  readonly answered: number;
  /** Answers handed to the socket. */
  readonly delivered: number;
}

/** An image taken from the feed and not yet delivered, in index order. */
interface Slot {
  readonly index: number;
  /** The server's answer, or the bridge's error for an image it could not have; undefined while in flight. */
  response: PredictResponse | undefined;
}

export class EvaluateRelay {
  readonly options: EvaluateRelayOptions;
  readonly #upstream: SluiceUpstream;
  readonly #feed: EvaluateFeed;
  readonly #handlers: EvaluateRelayHandlers;
  readonly #slots: Slot[] = [];
  /** Opened with the first image: an evaluation of nothing makes no call. */
  #call: ClientDuplexStream<PredictRequest, PredictResponse> | undefined;
  #next = 0;
  #taking = false;
  #congested = false;
  #requestsEnded = false;
  #forwarded = 0;
  #answered = 0;
  #delivered = 0;
  /** Cancelled, or ended: no handler is called any more. */
  #over = false;
  #pollTimer: NodeJS.Timeout | undefined;

  constructor(upstream: SluiceUpstream, options: EvaluateRelayOptions, feed: EvaluateFeed, handlers: EvaluateRelayHandlers) {
    this.options = options;
    this.#upstream = upstream;
    this.#feed = feed;
    this.#handlers = handlers;
    // Deferred, so that the caller has its handle on the relay before any handler runs.
    queueMicrotask(() => this.#pump());
  }

  get counts(): EvaluateCounts {
    return { forwarded: this.#forwarded, answered: this.#answered, delivered: this.#delivered };
  }

  /** Cancels the call; nothing more is read, sent or told. Idempotent. */
  cancel(): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#pollTimer);
    this.#call?.cancel();
    this.#feed.close();
  }

  #pump(): void {
    if (this.#over) return;
    this.#deliver();
    if (this.#over) return;
    const { total } = this.#feed;
    const canTake = !this.#taking && this.#next < total && this.#slots.length < this.options.window && !this.#congested;
    // A socket that is behind holds back the reading too, not only the answers.
    if (canTake && !this.#handlers.hasRoom()) this.#waitForSocket();
    else if (canTake) {
      this.#taking = true;
      const index = this.#next++;
      this.#feed.take(index).then(
        (item) => {
          this.#taking = false;
          if (this.#over) return;
          if (item.ok) this.#write(index, item.bytes);
          else this.#slots.push({ index, response: PredictResponse.fromPartial({ id: String(index), model: this.options.model, result: { $case: 'error', value: { code: item.code, message: item.message } } }) });
          this.#pump();
        },
        (err: unknown) => this.#end(err),
      );
    }
    if (this.#next === total && !this.#taking && !this.#requestsEnded) {
      this.#requestsEnded = true;
      this.#call?.end();
    }
  }

  /** Hands over the answers at the head of the line while the socket has room; ends the relay after the last. */
  #deliver(): void {
    while (this.#slots[0]?.response !== undefined) {
      if (!this.#handlers.hasRoom()) {
        this.#waitForSocket();
        return;
      }
      const { index, response } = this.#slots.shift() as Slot & { response: PredictResponse };
      this.#delivered++;
      this.#handlers.onResult(index, response);
      if (this.#over) return;
    }
    if (this.#delivered === this.#feed.total) this.#end(undefined);
  }

  /** Pumps again shortly: `ws` has no event for a send buffer that has drained. */
  #waitForSocket(): void {
    this.#pollTimer ??= setTimeout(() => {
      this.#pollTimer = undefined;
      this.#pump();
    }, SOCKET_POLL_MS).unref();
  }

  #open(): ClientDuplexStream<PredictRequest, PredictResponse> {
    const call = this.#upstream.predict();
    call.on('drain', () => {
      this.#congested = false;
      this.#pump();
    });
    void this.#read(call);
    return call;
  }

  #write(index: number, bytes: Uint8Array): void {
    const first = this.#call === undefined;
    const call = (this.#call ??= this.#open());
    const request: PredictRequest = {
      ...imageRequest(this.options.model, bytes, String(index)),
      streamOptions: first
        ? { order: ResponseOrder.RESPONSE_ORDER_REQUEST, maxInFlight: this.options.window, dropPolicy: DropPolicy.DROP_POLICY_NONE, itemTimeoutMs: 0, publish: '', private: false }
        : undefined,
    };
    this.#slots.push({ index, response: undefined });
    this.#forwarded++;
    if (!call.write(request)) this.#congested = true;
  }

  #answer(response: PredictResponse): void {
    // Answers come in request order; the id says which image, should that ever not hold.
    const slot = this.#slots.find((s) => s.response === undefined && String(s.index) === response.id);
    if (slot === undefined) return;
    slot.response = response;
    this.#answered++;
    this.#pump();
  }

  async #read(call: ClientDuplexStream<PredictRequest, PredictResponse>): Promise<void> {
    let error: unknown;
    try {
      for await (const response of call as AsyncIterable<PredictResponse>) {
        if (this.#over) return;
        this.#answer(response);
      }
    } catch (err: unknown) {
      error = err;
    }
    if (this.#over) return;
    // Ended with OK while images were still in flight: the server broke the one-answer-each promise.
    if (error === undefined && this.#slots.some((s) => s.response === undefined)) error = new Error('the server ended the stream before answering every image');
    if (error !== undefined) this.#end(error);
  }

  #end(error: unknown): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#pollTimer);
    // After a failure the call may still be open; after success it is ending by itself.
    if (error !== undefined) this.#call?.cancel();
    this.#feed.close();
    this.#handlers.onEnd(error);
  }
}
