/**
 * One `Predict` stream. Reads items, checks them, hands them to the scheduler and writes one
 * response per item, in request order (or completion order when asked).
 *
 * Backpressure: an item counts against the stream's window from the moment it is read until its
 * response is handed to gRPC. When the window is full the session stops reading, so a client that
 * sends fast and never reads holds at most a window of items in the server. When gRPC's write
 * buffer is full (`write()` returns false), responses wait in the session, still counted in the
 * window, until 'drain'.
 */
import { setMaxListeners } from 'node:events';
import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DropPolicy, type PredictRequest, type PredictResponse, ResponseOrder } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { prepareInput } from '../grpc/prepare-input.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { PublishedStream, SessionRegistry } from '../watch/session-registry.js';
import type { Thumbnail } from '../worker/task.js';
import { type ScheduledItem, now } from '../scheduler/work-item.js';
import { droppedResponse, errorResponse, toResponse, usesFloatData } from './response-builder.js';

/** What a session needs from the server. */
export interface StreamSessionDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  /** Where streams that ask to be published are listed for watchers. */
  readonly published: SessionRegistry;
  readonly metrics: ServerMetrics;
  /** Window when the client does not ask for one. */
  readonly streamWindow: number;
  /** Largest window a client may ask for. */
  readonly maxStreamWindow: number;
  readonly logger: Logger;
}

export type PredictCall = ServerDuplexStream<PredictRequest, PredictResponse>;

/** A response on its way out, with the display image watchers get along with it. */
interface Answer {
  readonly response: PredictResponse;
  readonly thumbnail?: Thumbnail | undefined;
}

export class StreamSession {
  readonly #call: PredictCall;
  readonly #deps: StreamSessionDeps;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  /** Completed responses not yet written, by sequence (request order) or in arrival order. */
  readonly #ready = new Map<number, Answer>();
  readonly #outbox: Answer[] = [];
  /** Items handed to the scheduler and not yet answered, oldest first. */
  readonly #scheduled = new Map<number, { readonly item: ScheduledItem; readonly id: string; readonly model: string }>();
  #order = ResponseOrder.RESPONSE_ORDER_REQUEST;
  #dropOldest = false;
  #published: PublishedStream | undefined;
  #itemTimeoutMs = 0;
  #window: number;
  #model = '';
  #received = 0;
  /** Times gRPC's write buffer was full, for the log. */
  #writeStalls = 0;
  #nextToWrite = 0;
  #inFlight = 0;
  #paused = false;
  #writable = true;
  #readEnded = false;
  #draining = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(call: PredictCall, deps: StreamSessionDeps) {
    this.#call = call;
    this.#deps = deps;
    this.#window = deps.streamWindow;
    this.#logger = deps.logger;
    // Every queued item of the stream listens on this signal; the window bounds how many.
    setMaxListeners(0, this.#abort.signal);
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Resolves when the stream is over, however it ended. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Items read and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts serving the call; `closed` resolves when it is over. */
  start(): void {
    const call = this.#call;
    call.on('data', (request: PredictRequest) => this.#accept(request));
    call.on('end', () => {
      this.#readEnded = true;
      this.#maybeFinish();
    });
    call.on('drain', () => {
      this.#writable = true;
      this.#flushOutbox();
    });
    call.on('cancelled', () => this.#close('client cancelled'));
    call.on('error', (err: unknown) => {
      this.#logger.debug({ err }, 'stream error');
      this.#close('stream error');
    });
  }

  /**
   * Graceful stop for a server shutdown: reads nothing more, answers every item already read,
   * then ends the stream with UNAVAILABLE so the client knows later items were not taken.
   */
  drain(): void {
    if (this.#closed || this.#draining) return;
    this.#draining = true;
    this.#call.pause();
    this.#maybeFinish();
  }

  /** Stops at once: items still queued are cancelled and never run. */
  cancel(): void {
    if (this.#closed) return;
    this.#call.emit('error', { code: status.UNAVAILABLE, details: 'server is shutting down' });
    this.#close('cancelled by server');
  }

  #accept(request: PredictRequest): void {
    if (this.#closed || this.#draining) return;
    const sequence = this.#received++;
    if (sequence === 0 && !this.#applyOptions(request)) return;
    if (request.model !== '') this.#model = request.model;
    const model = this.#model;
    const published = this.#published;
    if (published !== undefined) {
      published.items++;
      published.model = model;
    }
    if (this.#dropOldest && this.#scheduled.size >= this.#window) this.#dropOldestWaiting();
    this.#inFlight++;
    try {
      if (model === '') throw new SluiceError('INVALID_INPUT', 'no model named: set model in this or an earlier message of the stream');
      const loaded = this.#deps.repository.require(model);
      const prepared = prepareInput(request, loaded);
      const deadline = this.#itemTimeoutMs > 0 ? now() + this.#itemTimeoutMs : undefined;
      const thumbnailWidth = published?.thumbnailWidth ?? 0;
      const item = this.#deps.router.submit(loaded, prepared, { returnTensors: request.returnTensors, signal: this.#abort.signal, deadline, thumbnailWidth });
      this.#scheduled.set(sequence, { item, id: request.id, model });
      void item.outcome.then((outcome) => {
        // A dropped item was answered when it was dropped.
        if (!this.#scheduled.delete(sequence)) return;
        const response = toResponse(request.id, model, sequence, outcome, this.#logger, usesFloatData(request));
        this.#complete(sequence, response, outcome.ok ? outcome.thumbnail : undefined);
      });
    } catch (err: unknown) {
      this.#complete(sequence, errorResponse(request.id, model, sequence, err, this.#logger));
    }
    if (!this.#paused && this.#overWindow()) {
      this.#paused = true;
      this.#call.pause();
    }
  }

  /**
   * Whether reading must stop. Without a drop policy: when the window of unanswered items is
   * full. With DROP_OLDEST the window bounds the items holding inputs (waiting or running), so
   * reading goes on as long as an old item can be pushed out; the answers waiting to be written
   * (tiny `dropped` ones, mostly) are capped at four windows.
   */
  #overWindow(): boolean {
    if (!this.#dropOldest) return this.#inFlight >= this.#window;
    return this.#scheduled.size > this.#window || this.#inFlight >= this.#window * 4;
  }

  /** Reads the first message's options; false when they end the stream. */
  #applyOptions(request: PredictRequest): boolean {
    const options = request.streamOptions;
    if (options === undefined) return true;
    if (options.publish !== '') {
      try {
        this.#published = this.#deps.published.publish(options.publish);
      } catch (err: unknown) {
        this.#call.emit('error', toGrpcStatus(err, this.#logger));
        this.#close('publish refused');
        return false;
      }
    }
    if (options.order === ResponseOrder.RESPONSE_ORDER_COMPLETION) this.#order = options.order;
    if (options.maxInFlight > 0) this.#window = Math.min(options.maxInFlight, this.#deps.maxStreamWindow);
    this.#dropOldest = options.dropPolicy === DropPolicy.DROP_POLICY_DROP_OLDEST;
    this.#itemTimeoutMs = options.itemTimeoutMs;
    return true;
  }

  /** Withdraws the oldest item that has not started and answers it with `dropped` at once. */
  #dropOldestWaiting(): void {
    for (const [sequence, { item, id, model }] of this.#scheduled) {
      if (item.withdraw(new SluiceError('DROPPED', 'dropped for a fresher item'))) {
        this.#scheduled.delete(sequence);
        const response = droppedResponse(id, model, sequence);
        if (this.#published !== undefined) this.#published.dropped++;
        this.#complete(sequence, response);
        return;
      }
    }
  }

  #complete(sequence: number, response: PredictResponse, thumbnail?: Thumbnail): void {
    this.#deps.metrics.recordResponse(response);
    const answer: Answer = { response, thumbnail };
    if (this.#closed) return;
    if (this.#order === ResponseOrder.RESPONSE_ORDER_COMPLETION) {
      this.#outbox.push(answer);
    } else {
      this.#ready.set(sequence, answer);
      for (let next = this.#ready.get(this.#nextToWrite); next !== undefined; next = this.#ready.get(this.#nextToWrite)) {
        this.#ready.delete(this.#nextToWrite++);
        this.#outbox.push(next);
      }
    }
    this.#flushOutbox();
  }

  #flushOutbox(): void {
    let written = 0;
    while (this.#writable && written < this.#outbox.length && !this.#closed) {
      const { response, thumbnail } = this.#outbox[written++] as Answer;
      // Watchers see what the client sees, in the same order (lossily).
      if (this.#published !== undefined) {
        // The worker moved the JPEG here: wrap its bytes rather than copy them.
        const jpeg = thumbnail === undefined ? Buffer.alloc(0) : Buffer.from(thumbnail.jpeg.buffer, thumbnail.jpeg.byteOffset, thumbnail.jpeg.byteLength);
        this.#published.publish({ response, jpeg, width: thumbnail?.width ?? 0, height: thumbnail?.height ?? 0 });
      }
      this.#inFlight--;
      this.#writable = this.#call.write(response);
      if (!this.#writable) this.#writeStalls++;
    }
    if (written > 0) this.#outbox.splice(0, written);
    if (this.#paused && !this.#draining && !this.#overWindow()) {
      this.#paused = false;
      this.#call.resume();
    }
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#closed || this.#inFlight > 0 || !(this.#readEnded || this.#draining)) return;
    if (this.#readEnded) this.#call.end();
    else this.#call.emit('error', { code: status.UNAVAILABLE, details: `server is shutting down; ${this.#received} items were read and answered` });
    this.#close('finished');
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (this.#published !== undefined) this.#deps.published.unpublish(this.#published);
    this.#ready.clear();
    this.#scheduled.clear();
    this.#outbox.length = 0;
    this.#logger.debug({ reason, items: this.#received, writeStalls: this.#writeStalls }, 'stream closed');
    this.#resolveClosed();
  }
}
