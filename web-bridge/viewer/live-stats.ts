/**
 * Rolling numbers for the chart: predictions per second, latency percentiles and drops per
 * second over the last few seconds.
 */

const WINDOW_MS = 3000;

export interface StatsSample {
  readonly fps: number;
  readonly p50: number;
  readonly p99: number;
  readonly dropsPerSecond: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export class LiveStats {
  #predictions: number[] = [];
  #latencies: { at: number; ms: number }[] = [];
  #drops: { at: number; count: number }[] = [];

  /** A prediction shown at `at`, `latencyMs` after its frame was sent (or its server total). */
  prediction(at: number, latencyMs: number): void {
    this.#predictions.push(at);
    this.#latencies.push({ at, ms: latencyMs });
  }

  drop(at: number, count = 1): void {
    if (count > 0) this.#drops.push({ at, count });
  }

  reset(): void {
    this.#predictions = [];
    this.#latencies = [];
    this.#drops = [];
  }

  sample(now: number): StatsSample {
    const since = now - WINDOW_MS;
    this.#predictions = this.#predictions.filter((at) => at >= since);
    this.#latencies = this.#latencies.filter((l) => l.at >= since);
    this.#drops = this.#drops.filter((d) => d.at >= since);
    const sorted = this.#latencies.map((l) => l.ms).sort((a, b) => a - b);
    const seconds = WINDOW_MS / 1000;
    return {
      fps: this.#predictions.length / seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      dropsPerSecond: this.#drops.reduce((sum, d) => sum + d.count, 0) / seconds,
    };
  }
}
