/**
 * Many `Predict` streams at once, spread over several connections (at most `perConnection`
 * streams on each, every connection its own grpc-js channel), driven by one paced source whose
 * items go to the streams in turn: the total load stays the same however many streams carry it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { InferenceServiceClient, PredictRequest, PredictResponse } from '../gen/ts/sluice/v1/inference_service.js';
import { StreamOptions } from '../gen/ts/sluice/v1/inference_service.js';
import { type ItemSummary, ItemStats, type Measured, startMeasuring } from './item-stats.js';
import { createOwnConnectionStub, waitForReady } from './sluice-load.js';

/** Options of `StreamFleet.connect`. */
export interface FleetOptions {
  readonly address: string;
  readonly streams: number;
  /** Most streams sharing one connection. */
  readonly perConnection: number;
  /** `stream_options.max_in_flight` of every stream. */
  readonly window: number;
  readonly request: (id: string) => PredictRequest;
}

/** A paced run over the fleet. */
export interface PacedRun extends ItemSummary, Measured {
  readonly ratePerSec: number;
  readonly sent: number;
  /** Items without an answer when the wait for answers ran out, or lost with a failed stream. */
  readonly missing: number;
  /** Streams that failed. */
  readonly streamErrors: number;
  /** From the first item sent to the last answer. */
  readonly seconds: number;
  /** Answers per second over `seconds`. */
  readonly itemsPerSec: number;
}

type Call = ClientDuplexStream<PredictRequest, PredictResponse>;

/** The streams, open; items are numbered across the whole fleet. */
export class StreamFleet {
  readonly #options: FleetOptions;
  readonly #stubs: readonly InferenceServiceClient[];
  readonly #calls: Call[] = [];
  /** Items sent and not yet answered: when, and on which stream. */
  readonly #pending = new Map<string, { readonly at: number; readonly stream: number }>();
  /** Items lost with a stream that failed. */
  #lost = 0;
  #stats = new ItemStats();
  #next = 0;
  #streamErrors = 0;
  #lastAnswerAt = 0;
  #onIdle: (() => void) | undefined;

  private constructor(options: FleetOptions, stubs: readonly InferenceServiceClient[]) {
    this.#options = options;
    this.#stubs = stubs;
  }

  /** Opens the connections (no streams yet) and waits until each is ready. */
  static async connect(options: FleetOptions): Promise<StreamFleet> {
    const connections = Math.max(1, Math.ceil(options.streams / options.perConnection));
    const stubs = Array.from({ length: connections }, () => createOwnConnectionStub(options.address));
    try {
      await Promise.all(stubs.map((stub) => waitForReady(stub)));
    } catch (err: unknown) {
      for (const stub of stubs) stub.close();
      throw err;
    }
    return new StreamFleet(options, stubs);
  }

  get connections(): number {
    return this.#stubs.length;
  }

  /** Opens every stream and sends one item on each (so the server has set each one up), and waits for the answers. */
  async open(timeoutMs = 60_000): Promise<void> {
    for (let i = 0; i < this.#options.streams; i++) {
      const call = (this.#stubs[i % this.#stubs.length] as InferenceServiceClient).predict();
      call.on('data', (response: PredictResponse) => this.#answer(response));
      call.on('error', () => this.#fail(i));
      this.#calls.push(call);
    }
    for (let i = 0; i < this.#calls.length; i++) this.#send(i);
    if (!(await this.#idle(timeoutMs)) || this.#streamErrors > 0) {
      throw new Error(`${this.#pending.size} of ${this.#calls.length} streams did not answer their first item in ${timeoutMs} ms and ${this.#streamErrors} failed`);
    }
    // Priming items are not part of any measurement.
    this.#stats = new ItemStats();
  }

  /** Sends `ratePerSec` items per second, in turn over the streams, for `seconds`; then waits for the answers. */
  async runPaced(ratePerSec: number, seconds: number, serverPid: number, drainTimeoutMs = 60_000): Promise<PacedRun> {
    const end = startMeasuring(serverPid);
    const start = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = (performance.now() - start) / 1000;
        const due = Math.floor(Math.min(elapsed, seconds) * ratePerSec);
        for (; sent < due; sent++) this.#send(sent % this.#calls.length);
        if (elapsed >= seconds) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const answered = await this.#idle(drainTimeoutMs);
    const measured = end();
    const runSeconds = ((answered ? this.#lastAnswerAt : performance.now()) - start) / 1000;
    const summary = this.#stats.summary();
    const answers = summary.predictions + summary.errors + summary.dropped;
    return {
      ratePerSec,
      sent,
      missing: this.#pending.size + this.#lost,
      streamErrors: this.#streamErrors,
      seconds: runSeconds,
      itemsPerSec: answers / runSeconds,
      ...summary,
      ...measured,
    };
  }

  /** Ends every stream, waits (briefly) for the server to end them too, and closes the connections. */
  async close(): Promise<void> {
    const ends = this.#calls.map((call) => new Promise<void>((resolve) => {
      call.once('end', resolve);
      call.once('error', () => resolve());
      call.once('status', () => resolve());
    }));
    for (const call of this.#calls) call.end();
    await Promise.race([Promise.all(ends), sleep(10_000, undefined, { ref: false })]);
    for (const call of this.#calls) call.cancel();
    for (const stub of this.#stubs) stub.close();
  }

  #send(stream: number): void {
    const call = this.#calls[stream] as Call;
    const id = String(this.#next++);
    const request = this.#options.request(id);
    const first = Number(id) < this.#calls.length;
    this.#pending.set(id, { at: performance.now(), stream });
    // Open loop: a paced source does not wait, and what grpc-js buffers counts in the latency.
    call.write(first ? { ...request, streamOptions: StreamOptions.fromPartial({ maxInFlight: this.#options.window }) } : request);
  }

  #answer(response: PredictResponse): void {
    const sent = this.#pending.get(response.id);
    if (sent === undefined) return;
    this.#pending.delete(response.id);
    this.#lastAnswerAt = performance.now();
    this.#stats.add(response, this.#lastAnswerAt - sent.at);
    if (this.#pending.size === 0) this.#onIdle?.();
  }

  /** A stream failed: its unanswered items will never be answered. */
  #fail(stream: number): void {
    this.#streamErrors++;
    for (const [id, sent] of this.#pending) {
      if (sent.stream !== stream) continue;
      this.#pending.delete(id);
      this.#lost++;
    }
    if (this.#pending.size === 0) this.#onIdle?.();
  }

  /** Resolves true once every item sent is answered, false after `timeoutMs`. */
  async #idle(timeoutMs: number): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    const idle = new Promise<boolean>((resolve) => {
      this.#onIdle = () => resolve(true);
    });
    const answered = await Promise.race([idle, sleep(timeoutMs, false, { ref: false })]);
    this.#onIdle = undefined;
    return answered;
  }
}
