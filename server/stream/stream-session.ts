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
import type { PredictRequest, PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { limitReadAhead } from '../grpc/limit-read-ahead.js';
import type { ReceivedPredict } from '../grpc/predict-codec.js';
import { prepareInput } from '../grpc/prepare-input.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { PublishedStream } from '../watch/session-registry.js';
import { AnswerWriter } from './answer-writer.js';
import { HeldItems, type Scheduled } from './held-items.js';
import { ReadGate } from './read-gate.js';
import { usesFloatData } from './response-builder.js';
import { StreamOptionsState } from './stream-options-state.js';
import type { StreamSessionDeps } from './stream-session-deps.js';

/** The call a session serves: `Predict` or `ModelStreamInfer`, decoded by its protocol's codec. */
export type PredictCall = ServerDuplexStream<ReceivedPredict, PredictResponse>;

/** With DROP_OLDEST, answers waiting to be written (tiny `dropped` ones, mostly) are capped at this many windows. */
const DROP_OLDEST_OUTBOX_WINDOWS = 4;

/** Serves one streaming call from `start()` until `closed` resolves. */
export class StreamSession {
  readonly #call: PredictCall;
  readonly #deps: StreamSessionDeps;
  /** Made on first use: most streams never log, and a child logger costs every idle stream. */
  #childLogger: Logger | undefined;
  /** Answers its items and writes the answers out. */
  readonly #answers: AnswerWriter;
  /** Its items read and not yet answered: their bytes, and those handed to the scheduler. */
  readonly #held: HeldItems;
  /** Window, order, drop policy and item timeout: the server's, then the first message's. */
  readonly #options: StreamOptionsState;
  #published: PublishedStream | undefined;
  #model = '';
  #received = 0;
  /** When the stream is read: its limits and the byte budget. */
  readonly #gate: ReadGate;
  #readEnded = false;
  #draining = false;
  #closed = false;
  readonly #closedPromise: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(call: PredictCall, deps: StreamSessionDeps) {
    this.#call = call;
    this.#deps = deps;
    // The parts call back into the session through closures made once here, never per item.
    this.#held = new HeldItems(deps.budget, deps.maxStreamBytes, (sequence, entry) => this.#answers.answerDropped(sequence, entry));
    this.#answers = new AnswerWriter({
      call,
      held: this.#held,
      metrics: deps.metrics,
      protocol: deps.protocol,
      log: () => this.#log,
      afterWrites: () => this.#afterWrites(),
      writeFailed: (err, sequence) => this.#writeFailed(err, sequence),
    });
    this.#options = new StreamOptionsState(deps.streamWindow, deps.maxStreamWindow);
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
    return this.#answers.inFlight;
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
      this.#answers.drained();
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
    this.#held.hold(received.bytes);
    this.#answers.expect();
    const request = received.request;
    if (received.refused !== undefined) {
      const { error, model } = received.refused;
      this.#answers.answerError(sequence, received.bytes, model, error, request?.id, received.reply);
    } else if (request === undefined) {
      this.#answers.answerError(sequence, received.bytes, '', new SluiceError('INVALID_INPUT', `message ${sequence} of the stream is not a valid PredictRequest: ${received.error ?? 'undecodable'}`));
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
      if (this.#options.dropOldest) this.#held.makeRoom(received.bytes, this.#options.window);
      const deadline = this.#options.deadlineOf(received.timeoutMs);
      const thumbnailWidth = published?.thumbnailWidth ?? 0;
      const floatData = usesFloatData(request);
      const id = request.id;
      const item = this.#deps.router.submit(loaded, prepared, { returnTensors: request.returnTensors, deadline, thumbnailWidth });
      const entry: Scheduled = { item, id, model, bytes: received.bytes, reply: received.reply };
      this.#held.add(sequence, entry);
      // The callback answers every failure itself, so the chain never rejects.
      void item.outcome.then((outcome) => this.#answers.answerOutcome(sequence, entry, outcome, floatData));
    } catch (err: unknown) {
      this.#answers.answerError(sequence, received.bytes, model, err, request.id, received.reply);
    }
  }

  /** An answer could not be written: the stream cannot keep its order any more. */
  #writeFailed(err: unknown, sequence: number): void {
    this.#log.error({ err, sequence }, 'an answer could not be written; ending the stream');
    this.#call.emit('error', { code: status.INTERNAL, details: 'internal error; the server log has the details' });
    this.#close('answer failed');
  }

  /** Why the stream must not read more now, by its own limits (the budget aside). */
  #ownLimitReached(): boolean {
    const window = this.#options.window;
    const inFlight = this.#answers.inFlight;
    if (this.#options.dropOldest) {
      return this.#held.scheduled > window || inFlight >= window * DROP_OLDEST_OUTBOX_WINDOWS || this.#held.overShare(0);
    }
    if (inFlight >= window) return true;
    return this.#held.overShare(this.#gate.nextMessageBytes);
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
      this.#answers.watchedBy(this.#published);
    }
    this.#options.apply(options);
    this.#answers.completionOrder = this.#options.completionOrder;
    return true;
  }

  /** Answers went out: the window may allow reading again, or the stream may be over. */
  #afterWrites(): void {
    this.#updateReading();
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#closed || this.#answers.inFlight > 0 || !(this.#readEnded || this.#draining)) return;
    if (this.#readEnded) this.#call.end();
    else this.#call.emit('error', { code: status.UNAVAILABLE, details: `server is shutting down; ${this.#received} items were read and answered` });
    this.#close('finished');
  }

  #close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closed together: an answer that completes from here on is counted and not written.
    this.#answers.close();
    this.#gate.close(this.#readEnded);
    this.#held.cancelAll((model) => this.#deps.metrics.recordCancelled(model, this.#deps.protocol));
    if (this.#published !== undefined) this.#deps.published.unpublish(this.#published);
    this.#deps.releaseSlot();
    this.#log.debug({ reason, items: this.#received, writeStalls: this.#answers.stalls }, 'stream closed');
    this.#resolveClosed();
  }
}
