/**
 * Load through a NATS JetStream binding. Frames are published to the binding's stream the way a
 * producer publishes them (`Content-Type`, a unique `Sluice-Id` and the same id as `Nats-Msg-Id`),
 * as fast as the broker acknowledges them, with at most `MAX_PUBACKS` PubAcks outstanding and, when
 * `backlog` is set, at most that many messages published and not yet answered. Results are read
 * with a plain core NATS subscription on the results subject: it sees every result published,
 * a duplicate included, and costs less than a consumer. Latency runs from the publish call to the
 * result's arrival, so it includes the wait in the stream.
 *
 * Warm-up messages go first and are all answered before the measured ones are published; the
 * CPU of every server replica, of the broker and of this process is measured over the measured ones.
 */
import { performance } from 'node:perf_hooks';
import type { JetStreamClient } from '@nats-io/jetstream';
import { type Msg, type NatsConnection, headers } from '@nats-io/transport-node';
import { LatencyRecorder, type LatencySummary } from '../client/metrics/latency-recorder.js';
import { INGEST_HEADERS } from '../server/ingest/ingest-headers.js';
import { type ResourceUsage, UsageWindow, selfCpuWindow } from './proc-stats.js';

/** PubAcks awaited at once: enough to keep the broker busy, bounded so that a slow broker pushes back. */
export const MAX_PUBACKS = 64;
/** A run gives up on the answers still missing after this long without any answer. */
const STALL_MS = 20_000;

/** Options of `measureJetStream`. */
export interface JetStreamLoad {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** Subject inputs are published to (inside the binding's filter). */
  readonly subject: string;
  /** The binding's results subject. */
  readonly results: string;
  /** Encoded images, cycled. */
  readonly frames: readonly Uint8Array[];
  readonly contentType: string;
  /** Measured messages. */
  readonly count: number;
  /** Messages run and answered before measuring. */
  readonly warmup: number;
  /** Messages published and not yet answered, at most; 0 for no bound but the PubAcks'. */
  readonly backlog: number;
  /** Prefix of this run's ids, unique within the streams' duplicate window. */
  readonly idPrefix: string;
  /** Every server replica bound to the stream. */
  readonly serverPids: readonly number[];
  readonly brokerPid: number;
}

/** A measured JetStream run. */
export interface JetStreamLoadResult {
  /** Measured messages published. */
  readonly published: number;
  /** Publishes whose PubAck failed (the message may or may not be in the stream). */
  readonly publishErrors: number;
  /** PubAcks that said the stream already held the id. */
  readonly publishDuplicates: number;
  /** Measured messages with a result; each counted once. */
  readonly answered: number;
  /** Results whose `Sluice-Status` was not OK. */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Results for an id already answered. */
  readonly duplicates: number;
  /** Measured messages without a result when the run ended. */
  readonly missing: number;
  /** Results for ids this run never published. */
  readonly unknown: number;
  /** From the first measured publish to the last measured result. */
  readonly seconds: number;
  /** Answered messages per second. */
  readonly itemsPerSec: number;
  /** Publish to result. */
  readonly latency: LatencySummary;
  /** Each replica over the measured part, in `serverPids` order. */
  readonly servers: readonly ResourceUsage[];
  readonly broker: ResourceUsage;
  /** The load generator's (this process's) CPU, as cores. */
  readonly loadCpuCores: number;
}

/** Publishes, waits for results and counts them. */
class JetStreamDriver {
  readonly #load: JetStreamLoad;
  /** Published ids not yet answered, with their publish time. */
  readonly #sentAt = new Map<string, number>();
  readonly #answered = new Set<string>();
  readonly latency = new LatencyRecorder();
  #measuredPrefix = '';
  #pubacks = 0;
  #wake: (() => void) | undefined;
  publishErrors = 0;
  publishDuplicates = 0;
  measuredAnswered = 0;
  errors = 0;
  firstError: string | undefined;
  duplicates = 0;
  unknown = 0;
  lastAnswerAt = 0;

  constructor(load: JetStreamLoad) {
    this.#load = load;
  }

  /** Called for every message on the results subject. */
  onResult(msg: Msg): void {
    const id = msg.headers?.get(INGEST_HEADERS.id) ?? '';
    const sentAt = this.#sentAt.get(id);
    if (sentAt === undefined) {
      if (this.#answered.has(id)) this.duplicates++;
      else this.unknown++;
      return;
    }
    const at = performance.now();
    this.#sentAt.delete(id);
    this.#answered.add(id);
    if (this.#measuredPrefix !== '' && id.startsWith(this.#measuredPrefix)) {
      this.measuredAnswered++;
      this.lastAnswerAt = at;
      this.latency.recordMs(at - sentAt);
      const status = msg.headers?.get(INGEST_HEADERS.status) ?? '';
      if (status !== 'OK') {
        this.errors++;
        this.firstError ??= `${status || 'no status'}: ${new TextDecoder().decode(msg.data).slice(0, 200)}`;
      }
    }
    this.#notify();
  }

  /** From now on, answers to ids starting with `prefix` are the measured ones. */
  measure(prefix: string): void {
    this.#measuredPrefix = prefix;
  }

  /** Publishes `count` messages with ids `<prefix><i>`, then waits for their answers (or a stall). */
  async run(prefix: string, count: number): Promise<void> {
    const { js, subject, frames, contentType, backlog } = this.#load;
    for (let i = 0; i < count; i++) {
      while (this.#pubacks >= MAX_PUBACKS || (backlog > 0 && this.#sentAt.size >= backlog)) await this.#changed();
      const id = `${prefix}${i}`;
      const h = headers();
      h.set(INGEST_HEADERS.contentType, contentType);
      h.set(INGEST_HEADERS.id, id);
      this.#sentAt.set(id, performance.now());
      this.#pubacks++;
      js.publish(subject, frames[i % frames.length], { msgID: id, headers: h }).then(
        (ack) => {
          if (ack.duplicate) this.publishDuplicates++;
        },
        () => {
          this.publishErrors++;
        },
      ).finally(() => {
        this.#pubacks--;
        this.#notify();
      });
    }
    await this.#settled();
  }

  /** Published ids still without an answer. */
  get unanswered(): number {
    return this.#sentAt.size;
  }

  /** Resolves once every publish is acknowledged and every message answered, or nothing arrived for `STALL_MS`. */
  async #settled(): Promise<void> {
    while (this.#pubacks > 0 || this.#sentAt.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STALL_MS);
      });
      const gaveUp = await Promise.race([this.#changed().then(() => false), stalled]);
      clearTimeout(timer);
      if (gaveUp) return;
    }
  }

  /** The next answer or PubAck. */
  #changed(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Warm-up, then `count` measured messages through the binding; see the file's comment. */
export async function measureJetStream(load: JetStreamLoad): Promise<JetStreamLoadResult> {
  const driver = new JetStreamDriver(load);
  const sub = load.nc.subscribe(load.results, { callback: (err, msg) => (err === null ? driver.onResult(msg) : undefined) });
  try {
    // The subscription must reach the server before the first result can be published.
    await load.nc.flush();
    await driver.run(`${load.idPrefix}-w`, load.warmup);
    if (driver.unanswered > 0) throw new Error(`JetStream warm-up: ${driver.unanswered} of ${load.warmup} messages not answered in ${STALL_MS} ms`);
    const measuredPrefix = `${load.idPrefix}-m`;
    driver.measure(measuredPrefix);
    const servers = load.serverPids.map((pid) => new UsageWindow(pid));
    const broker = new UsageWindow(load.brokerPid);
    const loadCpu = selfCpuWindow();
    const startedAt = performance.now();
    await driver.run(measuredPrefix, load.count);
    const loadCpuCores = loadCpu();
    const usage = { servers: servers.map((w) => w.close()), broker: broker.close() };
    const seconds = ((driver.lastAnswerAt > 0 ? driver.lastAnswerAt : performance.now()) - startedAt) / 1000;
    return {
      published: load.count,
      publishErrors: driver.publishErrors,
      publishDuplicates: driver.publishDuplicates,
      answered: driver.measuredAnswered,
      errors: driver.errors,
      firstError: driver.firstError,
      duplicates: driver.duplicates,
      missing: load.count - driver.measuredAnswered,
      unknown: driver.unknown,
      seconds,
      itemsPerSec: seconds > 0 ? driver.measuredAnswered / seconds : 0,
      latency: driver.latency.summary(),
      ...usage,
      loadCpuCores,
    };
  } finally {
    sub.unsubscribe();
  }
}
