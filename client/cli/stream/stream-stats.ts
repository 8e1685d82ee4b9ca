/**
 * Counters and latencies of a stream, kept as responses arrive: what the live status line shows
 * and what the summary reports. Latencies go into an HDR histogram (microseconds, 3 significant
 * digits), so percentiles cost the same after a million frames as after ten.
 */
import { grpcStatusName } from '../../metrics/grpc-status-name.js';
import { LatencyRecorder } from '../../metrics/latency-recorder.js';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Counts of a stream's frames. Once a finite source is read to its end, every frame taken from it
 * was sent or dropped by the client (`sent + droppedByClient`), and every frame sent was answered
 * (`answered = predictions + droppedByServer + errors`).
 */
export interface FrameCounts {
  /** Frames sent to the server. */
  readonly sent: number;
  /** Responses received: predictions + droppedByServer + errors. */
  readonly answered: number;
  readonly predictions: number;
  /** Answered `dropped` by the server: pushed out of its window by a fresher frame (drop-oldest). */
  readonly droppedByServer: number;
  /** Never sent: replaced by a fresher frame while the window was full or gRPC was not taking writes (drop-oldest). */
  readonly droppedByClient: number;
  readonly errors: number;
  /** Frames of a live source skipped by the client to keep to `--fps`. */
  readonly skipped: number;
}

/**
 * What `record` reads of a response: a `PredictResponse` is one, and so is a response read from
 * its JSON form (the bridge's batch page keeps its counts with this class too).
 */
export interface CountedResponse {
  readonly result?: { readonly $case: 'prediction' | 'dropped' } | { readonly $case: 'error'; readonly value: { readonly code: number; readonly message: string } } | undefined;
}

/** Rate window for the live frames-per-second figure. */
const RATE_WINDOW_MS = 2_000;
const RING = 8192;

export class StreamStats {
  sent = 0;
  skipped = 0;
  droppedByClient = 0;
  #predictions = 0;
  #droppedByServer = 0;
  #errors = 0;
  readonly #errorsByCode = new Map<string, number>();
  /** The first error answer, `CODE: message`, to explain a run where everything failed. */
  firstError: string | undefined;
  readonly #latency = new LatencyRecorder();
  readonly #started = performance.now();
  #finished: number | undefined;
  /** Times of recent predictions, for the live rate. */
  readonly #recent = new Float64Array(RING);
  #recentCount = 0;

  /** Counts a response; `latencyMs` is from sending the frame to receiving its answer. */
  record(response: CountedResponse, latencyMs: number): void {
    const result = response.result;
    if (result?.$case === 'prediction') {
      this.#predictions++;
      this.#latency.recordMs(latencyMs);
      this.#recent[this.#recentCount % RING] = performance.now();
      this.#recentCount++;
    } else if (result?.$case === 'dropped') {
      this.#droppedByServer++;
    } else {
      this.#errors++;
      const code = result?.$case === 'error' ? grpcStatusName(result.value.code) : 'EMPTY_RESPONSE';
      this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + 1);
      this.firstError ??= result?.$case === 'error' ? `${code}: ${result.value.message}` : code;
    }
  }

  /** Counts an item that failed before it could be sent (an unreadable file), as an error. */
  recordLocalError(code: string, message: string): void {
    this.#errors++;
    this.#errorsByCode.set(code, (this.#errorsByCode.get(code) ?? 0) + 1);
    this.firstError ??= `${code}: ${message}`;
  }

  /** Stops the clock. */
  finish(): void {
    this.#finished ??= performance.now();
  }

  get counts(): FrameCounts {
    const answered = this.#predictions + this.#droppedByServer + this.#errors;
    return {
      sent: this.sent,
      answered,
      predictions: this.#predictions,
      droppedByServer: this.#droppedByServer,
      droppedByClient: this.droppedByClient,
      errors: this.#errors,
      skipped: this.skipped,
    };
  }

  get errorsByCode(): Record<string, number> {
    return Object.fromEntries([...this.#errorsByCode].sort((a, b) => b[1] - a[1]));
  }

  get elapsedMs(): number {
    return (this.#finished ?? performance.now()) - this.#started;
  }

  /** Predictions per second over the whole run. */
  get throughput(): number {
    const seconds = this.elapsedMs / 1000;
    return seconds > 0 ? this.#predictions / seconds : 0;
  }

  /** Predictions per second over the last two seconds (or since the start). */
  get recentRate(): number {
    const now = performance.now();
    const from = Math.max(now - RATE_WINDOW_MS, this.#started);
    const available = Math.min(this.#recentCount, RING);
    let count = 0;
    let oldest = now;
    for (let k = 1; k <= available; k++) {
      const t = this.#recent[(this.#recentCount - k) % RING] as number;
      if (t < from) break;
      count++;
      oldest = t;
    }
    // A full ring shorter than the window: the rate over what it holds.
    const span = count === available && available === RING ? now - oldest : now - from;
    return span > 0 ? (count * 1000) / span : 0;
  }

  /** Latency percentiles of predictions, or undefined before the first one. */
  latency(): LatencySummary | undefined {
    if (this.#latency.count === 0) return undefined;
    const s = this.#latency.summary();
    return { p50: s.p50Ms, p90: s.p90Ms, p99: s.p99Ms, max: s.maxMs, mean: s.meanMs };
  }
}
