/**
 * One `Predict` stream, or one `ModelStreamInfer` stream of the Open Inference Protocol (its codec
 * reads and writes the same items and responses). Reads items, checks them, hands them to the
 * scheduler and writes one response per item, in request order (or completion order when asked).
 *
 * What a stream may hold is bounded three ways, and reading stops (backpressure) at the first
 * bound reached:
 * - its window: items read and not yet written out;
 * - its share of bytes: the bytes of its items from the moment they are read until answered;
 * - the server's byte budget, shared by every stream and call: before reading a message the
 *   stream reserves room for it (the size of its last message), and waits in line for room when
 *   there is none.
 * With DROP_POLICY_DROP_OLDEST a stream keeps reading instead: a new valid item pushes out the
 * oldest item that has not started, which is answered `dropped`.
 *
 * Reading is one message at a time (`limitReadAhead`): when the stream pauses, no further
 * message is decoded behind its back.
 */
import { type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DropPolicy, type PredictRequest, type PredictResponse, ResponseOrder } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ByteBudget } from '../admission/byte-budget.js';
import { SluiceError } from '../errors.js';
import { limitReadAhead } from '../grpc/limit-read-ahead.js';
import { type ReceivedPredict, withReply } from '../grpc/predict-codec.js';
import { type InputLimits, prepareInput } from '../grpc/prepare-input.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { Protocol, ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { PublishedStream, SessionRegistry } from '../watch/session-registry.js';
import type { Thumbnail } from '../worker/task.js';
import { type ItemOutcome, type ScheduledItem, now } from '../scheduler/work-item.js';
import { Outbox } from './outbox.js';
import { ReadGate } from './read-gate.js';
import { droppedResponse, errorResponse, toResponse, usesFloatData } from './response-builder.js';

/** What a session needs from the server. */
export interface StreamSessionDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  /** Where streams that ask to be published are listed for watchers. */
  readonly published: SessionRegistry;
  readonly metrics: ServerMetrics;
  /** The server's byte budget. */
  readonly budget: ByteBudget;
  /** Bytes one stream may hold (it may always hold one item). */
  readonly maxStreamBytes: number;
  /** Window when the client does not ask for one. */
  readonly streamWindow: number;
  /** Largest window a client may ask for. */
  readonly maxStreamWindow: number;
  /** What one item may ask of a worker (`--max-image-pixels`). */
  readonly inputLimits: InputLimits;
  /** The server's logger; the stream logs under its own `stream` number. */
  readonly logger: Logger;
  /** The stream's number, for its log lines. */
  readonly streamId: number;
  /** Gives the stream's place among the server's open streams back. */
  readonly releaseSlot: () => void;
  /** Name of the caller (its token's name), the owner of the stream if it is published privately. */
  readonly caller: string;
  /** The protocol the stream speaks, for metrics; `sluice` when absent. */
  readonly protocol?: Protocol;
}

export type PredictCall = ServerDuplexStream<ReceivedPredict, PredictResponse>;

/** A response on its way out, with the display image watchers get along with it. */
interface Answer {
  readonly response: PredictResponse;
  readonly thumbnail?: Thumbnail | undefined;
}

/** An item handed to the scheduler and not yet answered. */
interface Scheduled {
  readonly item: ScheduledItem;
  readonly id: string;
  readonly model: string;
  readonly bytes: number;
  /** What the response encoder needs from the request (`ReceivedPredict.reply`). */
  readonly reply: object | undefined;
}

/** Longest item timeout a timer can express (setTimeout's limit). */
const MAX_ITEM_TIMEOUT_MS = 2 ** 31 - 1;
/** With DROP_OLDEST, answers waiting to be written (tiny `dropped` ones, mostly) are capped at this many windows. */
const DROP_OLDEST_OUTBOX_WINDOWS = 4;

export class StreamSession {
  readonly #call: PredictCall;
  readonly #deps: StreamSessionDeps;
  /** Made on first use: most streams never log, and a child logger costs every idle stream. */
  #childLogger: Logger | undefined;
  /** Completed responses not yet written. */
  readonly #outbox = new Outbox<Answer>((answer) => this.#write(answer));
  /** Items handed to the scheduler and not yet answered, oldest first. */
  readonly #scheduled = new Map<number, Scheduled>();
  #dropOldest = false;
  #published: PublishedStream | undefined;
  #itemTimeoutMs = 0;
  #window: number;
  #model = '';
  #received = 0;
  /** Bytes of this stream's items read and not yet answered. */
  #bytes = 0;
  /** When the stream is read: its limits and the byte budget. */
  readonly #gate: ReadGate;
  #inFlight = 0;
  #readEnded = false;
  #draining = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(call: PredictCall, deps: StreamSessionDeps) {
    this.#call = call;
    this.#deps = deps;
    this.#window = deps.streamWindow;
    this.#gate = new ReadGate(call, deps.budget, () => this.#updateReading());
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  get #log(): Logger {
    this.#childLogger ??= this.#deps.logger.child({ stream: this.#deps.streamId });
    return this.#childLogger;
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
    limitReadAhead(call);
    call.on('data', (received: ReceivedPredict) => this.#accept(received));
    call.on('end', () => {
      this.#readEnded = true;
      this.#gate.close(true);
      this.#maybeFinish();
    });
    call.on('drain', () => {
      this.#outbox.drained();
      this.#afterWrites();
    });
    call.on('cancelled', () => this.#close('client cancelled'));
    call.on('error', (err: unknown) => {
      this.#log.debug({ err }, 'stream error');
      this.#close('stream error');
    });
    this.#updateReading();
  }

  /**
   * Graceful stop for a server shutdown: reads nothing more, answers every item already read,
   * then ends the stream with UNAVAILABLE so the client knows later items were not taken.
   */
  drain(): void {
    if (this.#closed || this.#draining) return;
    this.#draining = true;
    this.#gate.close(this.#readEnded);
    this.#maybeFinish();
  }

  /** Stops at once: items still queued are cancelled and never run. */
  cancel(): void {
    if (this.#closed) return;
    this.#call.emit('error', { code: status.UNAVAILABLE, details: 'server is shutting down' });
    this.#close('cancelled by server');
  }

  #accept(received: ReceivedPredict): void {
    // The message is in memory whether or not the stream still wants it.
    this.#gate.received(received.bytes);
    if (this.#closed || this.#draining) {
      this.#deps.budget.release(received.bytes);
      return;
    }
    const sequence = this.#received++;
    this.#bytes += received.bytes;
    this.#inFlight++;
    const request = received.request;
    if (received.refused !== undefined) {
      const { error, model } = received.refused;
      this.#answerUnscheduled(sequence, received.bytes, model, error, request?.id, received.reply);
    } else if (request === undefined) {
      this.#answerUnscheduled(sequence, received.bytes, '', new SluiceError('INVALID_INPUT', `message ${sequence} of the stream is not a valid PredictRequest: ${received.error ?? 'undecodable'}`));
    } else if (sequence > 0 || this.#applyOptions(request)) {
      this.#schedule(sequence, request, received);
    } else {
      return;
    }
    this.#updateReading();
  }

  #schedule(sequence: number, request: PredictRequest, received: ReceivedPredict): void {
    if (request.model !== '') this.#model = request.model;
    const model = this.#model;
    const published = this.#published;
    if (published !== undefined) {
      published.items++;
      published.model = model;
    }
    try {
      if (model === '') throw new SluiceError('INVALID_INPUT', 'no model named: set model in this or an earlier message of the stream');
      const loaded = this.#deps.repository.require(model);
      const prepared = prepareInput(request, loaded, received, this.#deps.inputLimits);
      // Only a valid item may push a waiting one out.
      if (this.#dropOldest) this.#makeRoom(received.bytes);
      const deadline = this.#deadlineOf(received);
      const thumbnailWidth = published?.thumbnailWidth ?? 0;
      const floatData = usesFloatData(request);
      const id = request.id;
      const item = this.#deps.router.submit(loaded, prepared, { returnTensors: request.returnTensors, deadline, thumbnailWidth });
      const entry: Scheduled = { item, id, model, bytes: received.bytes, reply: received.reply };
      this.#scheduled.set(sequence, entry);
      // The callback answers every failure itself, so the chain never rejects.
      void item.outcome.then((outcome) => this.#answer(sequence, entry, outcome, floatData));
    } catch (err: unknown) {
      this.#answerUnscheduled(sequence, received.bytes, model, err, request.id, received.reply);
    }
  }

  /** When the item must have started: the stream's item timeout or the item's own, the earlier. */
  #deadlineOf(received: ReceivedPredict): number | undefined {
    const own = received.timeoutMs ?? Infinity;
    const timeout = Math.min(this.#itemTimeoutMs > 0 ? this.#itemTimeoutMs : Infinity, own);
    return Number.isFinite(timeout) ? now() + Math.min(timeout, MAX_ITEM_TIMEOUT_MS) : undefined;
  }

  /** Answers a scheduled item with its outcome. */
  #answer(sequence: number, entry: Scheduled, outcome: ItemOutcome, floatData: boolean): void {
    // A dropped item was answered when it was dropped; a closed stream answers nobody.
    if (this.#scheduled.get(sequence) !== entry) return;
    this.#scheduled.delete(sequence);
    this.#releaseBytes(entry.bytes);
    let response: PredictResponse;
    try {
      response = toResponse(entry.id, entry.model, sequence, outcome, this.#log, floatData);
    } catch (err: unknown) {
      // Logged as an internal error by the response builder, and the item still gets its answer.
      response = errorResponse(entry.id, entry.model, sequence, err, this.#log);
    }
    try {
      this.#complete(sequence, withReply(response, entry.reply), outcome.ok ? outcome.thumbnail : undefined);
    } catch (err: unknown) {
      // The answer could not be written: the stream cannot keep its order any more.
      this.#log.error({ err, sequence }, 'an answer could not be written; ending the stream');
      this.#call.emit('error', { code: status.INTERNAL, details: 'internal error; the server log has the details' });
      this.#close('answer failed');
    }
  }

  /** Answers an item that never reached the scheduler. */
  #answerUnscheduled(sequence: number, bytes: number, model: string, err: unknown, id = '', reply?: object): void {
    this.#releaseBytes(bytes);
    this.#complete(sequence, withReply(errorResponse(id, model, sequence, err, this.#log), reply));
  }

  #releaseBytes(bytes: number): void {
    this.#bytes -= bytes;
    this.#deps.budget.release(bytes);
  }

  /**
   * DROP_OLDEST: pushes out the oldest items that have not started until a new item of `bytes`
   * fits the window and the stream's share of bytes, or nothing more can be pushed out.
   */
  #makeRoom(bytes: number): void {
    const over = (): boolean => this.#scheduled.size >= this.#window || (this.#bytes > bytes && this.#bytes > this.#deps.maxStreamBytes);
    if (!over()) return;
    for (const [sequence, entry] of this.#scheduled) {
      if (!entry.item.withdraw(new SluiceError('DROPPED', 'dropped for a fresher item'))) continue;
      this.#scheduled.delete(sequence);
      this.#releaseBytes(entry.bytes);
      if (this.#published !== undefined) this.#published.dropped++;
      this.#complete(sequence, withReply(droppedResponse(entry.id, entry.model, sequence), entry.reply));
      if (!over()) return;
    }
  }

  /** Why the stream must not read more now, by its own limits (the budget aside). */
  #ownLimitReached(): boolean {
    if (this.#dropOldest) {
      return this.#scheduled.size > this.#window || this.#inFlight >= this.#window * DROP_OLDEST_OUTBOX_WINDOWS || (this.#bytes > 0 && this.#bytes > this.#deps.maxStreamBytes);
    }
    if (this.#inFlight >= this.#window) return true;
    return this.#bytes > 0 && this.#bytes + this.#gate.nextMessageBytes > this.#deps.maxStreamBytes;
  }

  /** Reads on when the stream's limits and the budget allow it; pauses otherwise. */
  #updateReading(): void {
    if (this.#closed || this.#draining || this.#readEnded) return;
    this.#gate.update(!this.#ownLimitReached());
  }

  /** Reads the first message's options; false when they end the stream. */
  #applyOptions(request: PredictRequest): boolean {
    const options = request.streamOptions;
    if (options === undefined) return true;
    if (options.publish !== '') {
      try {
        this.#published = this.#deps.published.publish(options.publish, { owner: this.#deps.caller, private: options.private });
      } catch (err: unknown) {
        this.#call.emit('error', toGrpcStatus(err, this.#log));
        this.#close('publish refused');
        return false;
      }
    }
    this.#outbox.completionOrder = options.order === ResponseOrder.RESPONSE_ORDER_COMPLETION;
    if (options.maxInFlight > 0) this.#window = Math.min(options.maxInFlight, this.#deps.maxStreamWindow);
    this.#dropOldest = options.dropPolicy === DropPolicy.DROP_POLICY_DROP_OLDEST;
    this.#itemTimeoutMs = Math.min(options.itemTimeoutMs, MAX_ITEM_TIMEOUT_MS);
    return true;
  }

  #complete(sequence: number, response: PredictResponse, thumbnail?: Thumbnail): void {
    this.#deps.metrics.recordResponse(response, this.#deps.protocol);
    if (this.#closed) return;
    this.#outbox.add(sequence, { response, thumbnail });
    this.#afterWrites();
  }

  /** Hands one answer to gRPC; false when gRPC's buffer is full. */
  #write({ response, thumbnail }: Answer): boolean {
    // Watchers see what the client sees, in the same order (lossily).
    if (this.#published !== undefined) {
      // The worker moved the JPEG here: wrap its bytes rather than copy them.
      const jpeg = thumbnail === undefined ? Buffer.alloc(0) : Buffer.from(thumbnail.jpeg.buffer, thumbnail.jpeg.byteOffset, thumbnail.jpeg.byteLength);
      this.#published.publish({ response, jpeg, width: thumbnail?.width ?? 0, height: thumbnail?.height ?? 0 });
    }
    this.#inFlight--;
    return this.#call.write(response);
  }

  /** Answers went out: the window may allow reading again, or the stream may be over. */
  #afterWrites(): void {
    this.#updateReading();
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
    this.#gate.close(this.#readEnded);
    // Items still waiting are withdrawn and never run; running ones finish and are discarded.
    // Nobody gets their answers, so they are counted here.
    for (const { item, model } of this.#scheduled.values()) {
      item.cancel();
      this.#deps.metrics.recordCancelled(model, this.#deps.protocol);
    }
    this.#deps.budget.release(this.#bytes);
    this.#bytes = 0;
    this.#scheduled.clear();
    if (this.#published !== undefined) this.#deps.published.unpublish(this.#published);
    this.#outbox.close();
    this.#deps.releaseSlot();
    this.#log.debug({ reason, items: this.#received, writeStalls: this.#outbox.stalls }, 'stream closed');
    this.#resolveClosed();
  }
}
