/**
 * Latency recording on an HDR histogram: values go in as microseconds (3 significant digits),
 * summaries come out in milliseconds. Shared by the CLI's stream statistics and the benchmark.
 */
import * as hdr from 'hdr-histogram-js';

/** Percentiles of one recorded distribution, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** A summary with nothing recorded, for scenarios that do not measure a distribution. */
export const EMPTY_LATENCY: LatencySummary = Object.freeze({ count: 0, p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN, meanMs: Number.NaN });

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Records durations and summarises them. */
export class LatencyRecorder {
  readonly #histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  /** Records one duration in milliseconds (negative values, from clock skew, count as 0). */
  recordMs(ms: number): void {
    this.#histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  /** Records one duration in microseconds. */
  recordUs(us: number): void {
    this.#histogram.recordValue(Math.max(0, Math.round(us)));
  }

  /** Values recorded so far. */
  get count(): number {
    return this.#histogram.totalCount;
  }

  /** Percentiles of everything recorded so far. */
  summary(): LatencySummary {
    const h = this.#histogram;
    if (h.totalCount === 0) return EMPTY_LATENCY;
    const ms = (us: number): number => round3(us / 1000);
    // A percentile is reported as the top of its bucket, which can exceed the exact maximum.
    const at = (p: number): number => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
    return {
      count: h.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      maxMs: ms(h.maxValue),
      meanMs: ms(h.mean),
    };
  }
}
