/**
 * One NATS JetStream binding at work: it fetches inputs from its durable pull consumer, no more
 * than its window of messages and bytes at once, runs each through the same path as a unary call
 * (`answerItem`), publishes the result and only then acknowledges the input (`settleAction` says
 * what an error becomes). Several servers bound to the same consumer share its messages: that is
 * how the work scales out, and a message whose server died is delivered again to another.
 *
 * Backpressure reaches the broker: the binding asks for more only when its window has room, so a
 * deep backlog stays in the stream, not in the server. Messages that run long are kept with
 * `working()` so the broker does not deliver them again meanwhile. `drain` stops fetching and
 * settles what was taken; `destroy` cancels it, and cancelled inputs are nak'd for another replica.
 */
import { setMaxListeners } from 'node:events';
import { type Consumer, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { Objm } from '@nats-io/obj';
import type { Logger } from 'pino';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { type AnswerItemDeps, answerItem } from '../grpc/answer-item.js';
import { now } from '../scheduler/work-item.js';
import type { PublishedStream } from '../watch/session-registry.js';
import type { BindingConfig } from './binding-config.js';
import type { ConsumerSettings } from './binding-resources.js';
import { type IngestInput, readInput } from './ingest-input.js';
import type { IngestMetrics } from './ingest-metrics.js';
import { resultMessage } from './result-message.js';
import { type SettleAction, settleAction } from './settle-action.js';

/** What a binding works with. */
export interface IngestBindingDeps {
  readonly js: JetStreamClient;
  readonly consumer: Consumer;
  readonly settings: ConsumerSettings;
  readonly answer: AnswerItemDeps;
  readonly metrics: IngestMetrics;
  /** Where watchers see the binding's answers, like a published stream. */
  readonly published: PublishedStream;
  /** Bytes of messages the binding may hold at once. */
  readonly maxBytes: number;
  /** Largest input body accepted (`--max-message-bytes`). */
  readonly maxMessageBytes: number;
  readonly logger: Logger;
}

/** A message taken and not yet settled. */
interface Taken {
  readonly msg: JsMsg;
  readonly takenAt: number;
  bytes: number;
}

/** How long one fetch waits for messages before asking again. */
const FETCH_EXPIRES_MS = 5000;
const MAX_BACKOFF_MS = 5000;
/** How often the consumer's lag is read from the broker. */
const LAG_INTERVAL_MS = 5000;

export class IngestBinding {
  readonly config: BindingConfig;
  readonly #deps: IngestBindingDeps;
  readonly #logger: Logger;
  readonly #taken = new Map<JsMsg, Taken>();
  readonly #settling = new Set<Promise<void>>();
  /** Cancels every item when the binding is destroyed. */
  readonly #abort = new AbortController();
  #heldBytes = 0;
  #batch: ConsumerMessages | undefined;
  #roomWaiter: (() => void) | undefined;
  #stopping = false;
  #loop: Promise<void> = Promise.resolve();
  #objects: Promise<ObjectStore> | undefined;
  #lag = -1;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(config: BindingConfig, deps: IngestBindingDeps) {
    this.config = config;
    this.#deps = deps;
    this.#logger = deps.logger;
    // Every item in flight listens for the abort: as many as the window holds.
    setMaxListeners(config.maxInFlight + 10, this.#abort.signal);
  }

  /** Messages fetched and not yet settled. */
  get inFlight(): number {
    return this.#taken.size;
  }

  /** Messages waiting for the consumer, as the broker last said (-1 before the first look). */
  get lag(): number {
    return this.#lag;
  }

  /** Starts fetching. */
  start(): void {
    this.#loop = this.#run();
    const { ackWaitMs } = this.#deps.settings;
    // Kept well inside the ack wait, so that a long run is never delivered again while it runs.
    const workingEvery = Math.max(250, Math.floor(ackWaitMs / 3));
    const working = setInterval(() => this.#keepWorking(workingEvery), workingEvery);
    const lag = setInterval(() => void this.#readLag(), LAG_INTERVAL_MS);
    for (const timer of [working, lag]) {
      timer.unref();
      this.#timers.push(timer);
    }
    void this.#readLag();
  }

  /** Stops fetching; resolves once every message taken is settled. Idempotent. */
  async drain(): Promise<void> {
    this.#stopFetching();
    await this.#loop;
    while (this.#settling.size > 0) await Promise.all([...this.#settling]);
    for (const timer of this.#timers) clearInterval(timer);
  }

  /** Stops at once: items are cancelled and their messages nak'd for another replica. */
  async destroy(): Promise<void> {
    this.#abort.abort();
    await this.drain();
  }

  #stopFetching(): void {
    this.#stopping = true;
    this.#batch?.stop();
    this.#wakeFetcher();
  }

  /** Whether the window is at most half full (so that fetches come in useful sizes). */
  #hasRoom(): boolean {
    return this.#taken.size <= Math.floor(this.config.maxInFlight / 2) && this.#heldBytes <= this.#deps.maxBytes / 2;
  }

  #room(): Promise<void> {
    if (this.#hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#roomWaiter = resolve;
    });
  }

  #wakeFetcher(): void {
    const waiter = this.#roomWaiter;
    if (waiter === undefined || (!this.#stopping && !this.#hasRoom())) return;
    this.#roomWaiter = undefined;
    waiter();
  }

  async #run(): Promise<void> {
    let backoff = 250;
    while (!this.#stopping) {
      await this.#room();
      if (this.#stopping) break;
      const messages = this.config.maxInFlight - this.#taken.size;
      try {
        // Counted in messages only (the client takes a count or a size, not both): the byte bound
        // is the window's, checked before each fetch, so it is passed by at most one fetch.
        const batch = await this.#deps.consumer.fetch({ max_messages: messages, expires: FETCH_EXPIRES_MS });
        this.#batch = batch;
        if (this.#stopping) batch.stop();
        for await (const msg of batch) this.#take(msg);
        backoff = 250;
      } catch (err: unknown) {
        if (this.#stopping) break;
        this.#logger.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: backoff }, 'fetch failed');
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      } finally {
        this.#batch = undefined;
      }
    }
  }

  #take(msg: JsMsg): void {
    const { metrics } = this.#deps;
    metrics.count(this.config.name, 'fetched');
    if (msg.redelivered) metrics.count(this.config.name, 'redelivered');
    if (this.#stopping) {
      // Arrived after the stop: straight back to the stream, for another replica.
      msg.nak();
      metrics.count(this.config.name, 'nakd');
      return;
    }
    const taken: Taken = { msg, takenAt: now(), bytes: msg.data.byteLength };
    this.#taken.set(msg, taken);
    this.#heldBytes += taken.bytes;
    const settling = this.#handle(taken).finally(() => {
      this.#settling.delete(settling);
      this.#taken.delete(msg);
      this.#heldBytes -= taken.bytes;
      this.#wakeFetcher();
    });
    this.#settling.add(settling);
  }

  async #handle(taken: Taken): Promise<void> {
    const { msg } = taken;
    let input: IngestInput;
    try {
      input = await readInput(msg, this.config, { objects: () => this.#objectStore(), maxBytes: this.#deps.maxMessageBytes });
    } catch (err: unknown) {
      this.#logger.warn({ err: err instanceof Error ? err.message : String(err), seq: msg.seq }, 'input not readable now; delivered again later');
      return this.#retry(msg);
    }
    taken.bytes += input.object === undefined ? 0 : input.received.bytes;
    this.#heldBytes += input.object === undefined ? 0 : input.received.bytes;
    const published = this.#deps.published;
    const { response, thumbnail } = await answerItem(input.received, this.#deps.answer, {
      protocol: 'nats',
      deadline: now() + this.config.timeoutMs,
      signal: this.#abort.signal,
      thumbnailWidth: published.thumbnailWidth,
    });
    const action = settleAction(response, msg.info.deliveryCount, this.#deps.settings.maxDeliver);
    if (action === 'retry') return this.#retry(msg);
    published.items++;
    published.model = response.model;
    const jpeg = thumbnail === undefined ? Buffer.alloc(0) : Buffer.from(thumbnail.jpeg.buffer, thumbnail.jpeg.byteOffset, thumbnail.jpeg.byteLength);
    published.publish({ response, jpeg, width: thumbnail?.width ?? 0, height: thumbnail?.height ?? 0 });
    await this.#settle(msg, input, response, action);
  }

  /** Publishes the result (and the dead letter), then acks or terminates the input. */
  async #settle(msg: JsMsg, input: IngestInput, response: PredictResponse, action: Exclude<SettleAction, 'retry'>): Promise<void> {
    const { js, metrics } = this.#deps;
    const result = resultMessage(response, input.id, msg, this.config);
    try {
      await js.publish(this.config.results, result.data, { msgID: input.resultId, headers: result.headers });
      if (action === 'term' && this.config.deadLetter !== '') {
        // Its own id: the dead-letter subject may share the results stream, whose de-duplication would drop it.
        await js.publish(this.config.deadLetter, result.data, { msgID: `${input.resultId}:dead-letter`, headers: result.headers });
      }
    } catch (err: unknown) {
      this.#logger.warn({ err: err instanceof Error ? err.message : String(err), id: input.id }, 'result not published; the input will be delivered again');
      return this.#retry(msg);
    }
    if (action === 'term') {
      // No reason: servers before 2.10.4 do not read `+TERM <reason>` as a termination.
      msg.term();
      metrics.count(this.config.name, 'terminated');
    } else {
      try {
        await msg.ackAck();
      } catch (err: unknown) {
        // The input comes back; its result, published again, is dropped as a duplicate.
        this.#logger.warn({ err: err instanceof Error ? err.message : String(err), id: input.id }, 'ack not confirmed');
      }
      metrics.count(this.config.name, 'acked');
    }
    if (input.object !== undefined) await this.#deleteObject(input.object);
  }

  #retry(msg: JsMsg): void {
    msg.nak(this.config.nakDelayMs);
    this.#deps.metrics.count(this.config.name, 'nakd');
  }

  #keepWorking(olderThanMs: number): void {
    const before = now() - olderThanMs;
    for (const taken of this.#taken.values()) if (taken.takenAt < before) taken.msg.working();
  }

  async #readLag(): Promise<void> {
    try {
      const info = await this.#deps.consumer.info(false);
      this.#lag = info.num_pending;
    } catch {
      // The connection is down or the consumer is being recreated: the last figure stays.
    }
  }

  #objectStore(): Promise<ObjectStore> {
    this.#objects ??= new Objm(this.#deps.js).open(this.config.objectStore).catch((err: unknown) => {
      this.#objects = undefined;
      throw err;
    });
    return this.#objects;
  }

  async #deleteObject(name: string): Promise<void> {
    try {
      await (await this.#objectStore()).delete(name);
    } catch (err: unknown) {
      this.#logger.warn({ err: err instanceof Error ? err.message : String(err), object: name }, 'object of a settled input not deleted');
    }
  }
}
