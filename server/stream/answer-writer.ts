/**
 * The answering side of a stream. Every item read gets exactly one response: its outcome when the
 * scheduler settles it, an in-band error when it never reached the scheduler, `dropped` when
 * DROP_OLDEST pushed it out for a fresher one. Responses are counted in the metrics, put in
 * request order (or completion order when asked) and written while gRPC takes writes; the
 * watchers of a published stream see each one as it goes out.
 */
import type { Logger } from 'pino';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { withReply } from '../grpc/predict-codec.js';
import type { Protocol, ServerMetrics } from '../metrics/server-metrics.js';
import type { ItemOutcome } from '../scheduler/work-item.js';
import type { PublishedStream } from '../watch/session-registry.js';
import type { Thumbnail } from '../worker/task.js';
import type { HeldItems, Scheduled } from './held-items.js';
import { Outbox } from './outbox.js';
import { droppedResponse, errorResponse, toResponse } from './response-builder.js';

/** What an AnswerWriter needs from its stream session; given once per stream. */
export interface AnswerWriterDeps {
  /** The call's writing side: takes one response, false when gRPC's buffer is full. */
  readonly call: { write(response: PredictResponse): boolean };
  /** The stream's items read and not yet answered; an answer takes its item off. */
  readonly held: HeldItems;
  /** Where every response is counted. */
  readonly metrics: ServerMetrics;
  /** The protocol the stream speaks, for metrics; `sluice` when absent. */
  readonly protocol: Protocol | undefined;
  /** The stream's logger; a function so that the session still makes it on first use. */
  readonly log: () => Logger;
  /** Answers were added: the window may allow reading again, or the stream may be over. */
  readonly afterWrites: () => void;
  /** An answer to a scheduled item could not be written: the stream must end. */
  readonly writeFailed: (err: unknown, sequence: number) => void;
}

/** A response on its way out, with the display image watchers get along with it. */
interface Answer {
  readonly response: PredictResponse;
  readonly thumbnail?: Thumbnail | undefined;
}

/** Answers one stream's items and writes the answers out; the stream session owns one. */
export class AnswerWriter {
  readonly #deps: AnswerWriterDeps;
  /** Completed responses not yet written. */
  readonly #outbox = new Outbox<Answer>((answer) => this.#write(answer));
  #published: PublishedStream | undefined;
  /** Items read and not yet written out. */
  #inFlight = 0;
  #closed = false;

  constructor(deps: AnswerWriterDeps) {
    this.#deps = deps;
  }

  /** Items read and not yet written out: what the stream's window bounds. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Times gRPC's write buffer was full. */
  get stalls(): number {
    return this.#outbox.stalls;
  }

  /** Write each answer in the order answers complete rather than in request order. */
  set completionOrder(completionOrder: boolean) {
    this.#outbox.completionOrder = completionOrder;
  }

  /** The stream was published: its watchers see every answer from now on. */
  watchedBy(published: PublishedStream): void {
    this.#published = published;
  }

  /** An item was read: it is owed an answer. */
  expect(): void {
    this.#inFlight++;
  }

  /** Answers a scheduled item with its outcome. */
  answerOutcome(sequence: number, entry: Scheduled, outcome: ItemOutcome, floatData: boolean): void {
    if (!this.#deps.held.settle(sequence, entry)) return;
    const log = this.#deps.log();
    let response: PredictResponse;
    try {
      response = toResponse(entry.id, entry.model, sequence, outcome, log, floatData);
    } catch (err: unknown) {
      // Logged as an internal error by the response builder, and the item still gets its answer.
      response = errorResponse(entry.id, entry.model, sequence, err, log);
    }
    try {
      this.#complete(sequence, withReply(response, entry.reply), outcome.ok ? outcome.thumbnail : undefined);
    } catch (err: unknown) {
      // The answer could not be written: the stream cannot keep its order any more.
      this.#deps.writeFailed(err, sequence);
    }
  }

  /** Answers an item of `bytes` that never reached the scheduler with `err`. */
  answerError(sequence: number, bytes: number, model: string, err: unknown, id = '', reply?: object): void {
    this.#deps.held.release(bytes);
    this.#complete(sequence, withReply(errorResponse(id, model, sequence, err, this.#deps.log()), reply));
  }

  /** Answers an item that DROP_OLDEST pushed out for a fresher one (it is off the table already). */
  answerDropped(sequence: number, entry: Scheduled): void {
    if (this.#published !== undefined) this.#published.dropped++;
    this.#complete(sequence, withReply(droppedResponse(entry.id, entry.model, sequence), entry.reply));
  }

  /** gRPC drained its buffer: writes what waits. */
  drained(): void {
    this.#outbox.drained();
  }

  /** The stream is over: answers still to come are counted and dropped, and nothing more is written. */
  close(): void {
    this.#closed = true;
    this.#outbox.close();
  }

  #complete(sequence: number, response: PredictResponse, thumbnail?: Thumbnail): void {
    this.#deps.metrics.recordResponse(response, this.#deps.protocol);
    if (this.#closed) return;
    this.#outbox.add(sequence, { response, thumbnail });
    this.#deps.afterWrites();
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
    return this.#deps.call.write(response);
  }
}
