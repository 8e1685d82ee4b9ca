/**
 * Counters of `sluice publish`, kept as PubAcks arrive: what the live status line shows and what
 * the summary reports. Every frame taken from the source ends up published, a duplicate, or
 * dropped (at the in-flight cap or refused by a full stream, both only with `--live`).
 */
import type { PubAck } from '@nats-io/jetstream';
import { LatencyRecorder } from '../../metrics/latency-recorder.js';
import type { LatencySummary } from '../stream/stream-stats.js';

/** Counts of a publish run. */
export interface PublishCounts {
  /** Messages the stream stored (PubAck, not a duplicate). */
  readonly published: number;
  /** Messages the stream had already stored under the same `Nats-Msg-Id` (a re-run with the same `--id-prefix`). */
  readonly duplicates: number;
  /** Of `published`, those whose body went to the object store. */
  readonly objects: number;
  /** Bytes of the frames published (bodies, or objects), headers not counted. */
  readonly bytes: number;
  /** Replaced by a fresher frame while publishes in flight were at the cap (`--live`). */
  readonly droppedAtCap: number;
  /** Refused by the stream because it was full (`--live`). */
  readonly droppedFull: number;
  /** Publishes tried again because the stream was full (without `--live`). */
  readonly retriedFull: number;
  /** Frames of a live source skipped to keep to `--fps`. */
  readonly skipped: number;
}

const RATE_WINDOW_MS = 2_000;
const RING = 8192;

/** The counters of one run; `counts` is a snapshot of them. */
export class PublishStats {
  published = 0;
  duplicates = 0;
  objects = 0;
  bytes = 0;
  droppedAtCap = 0;
  droppedFull = 0;
  retriedFull = 0;
  skipped = 0;
  /** Publishes started and not yet acknowledged. */
  inFlight = 0;
  readonly #acks = new LatencyRecorder();
  readonly #started = performance.now();
  #finished: number | undefined;
  readonly #recent = new Float64Array(RING);
  #recentCount = 0;

  /** Counts a PubAck for a frame of `bytes` that took `ackMs` from publish to acknowledgement. */
  recordAck(ack: PubAck, bytes: number, ackMs: number, viaObject: boolean): void {
    this.#acks.recordMs(ackMs);
    if (ack.duplicate) {
      this.duplicates++;
      return;
    }
    this.published++;
    this.bytes += bytes;
    if (viaObject) this.objects++;
    const now = performance.now();
    this.#recent[this.#recentCount % RING] = now;
    this.#recentCount++;
  }

  /** Stops the clock. */
  finish(): void {
    this.#finished ??= performance.now();
  }

  get counts(): PublishCounts {
    return {
      published: this.published,
      duplicates: this.duplicates,
      objects: this.objects,
      bytes: this.bytes,
      droppedAtCap: this.droppedAtCap,
      droppedFull: this.droppedFull,
      retriedFull: this.retriedFull,
      skipped: this.skipped,
    };
  }

  get elapsedMs(): number {
    return (this.#finished ?? performance.now()) - this.#started;
  }

  /** Messages stored per second over the last two seconds (or since the start). */
  get recentRate(): number {
    const now = performance.now();
    const from = Math.max(now - RATE_WINDOW_MS, this.#started);
    let count = 0;
    for (let k = 1; k <= Math.min(this.#recentCount, RING); k++) {
      if ((this.#recent[(this.#recentCount - k) % RING] as number) < from) break;
      count++;
    }
    const span = now - from;
    return span > 0 ? (count * 1000) / span : 0;
  }

  /** Time from a publish to its PubAck, or undefined before the first one. */
  ackLatency(): LatencySummary | undefined {
    if (this.#acks.count === 0) return undefined;
    const s = this.#acks.summary();
    return { p50: s.p50Ms, p90: s.p90Ms, p99: s.p99Ms, max: s.maxMs, mean: s.meanMs };
  }
}
