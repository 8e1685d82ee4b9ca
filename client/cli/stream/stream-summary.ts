/**
 * What `sluice stream` reports: the live status text, the final summary for people, and the same
 * summary as JSON for scripts (`--json`).
 */
import type { FrameCounts, LatencySummary, StreamStats } from './stream-stats.js';

/** The final report of a stream, as `--json` prints it. */
export interface StreamSummary {
  readonly source: string;
  readonly model: string;
  readonly frames: FrameCounts;
  /** Error responses by gRPC status name, most frequent first. */
  readonly errorsByCode: Record<string, number>;
  readonly elapsedMs: number;
  /** Predictions per second over the run. */
  readonly fps: number;
  /** From sending a frame to receiving its prediction; null when nothing was predicted. */
  readonly latencyMs: LatencySummary | null;
  /** True when Ctrl-C (SIGINT) stopped the stream. */
  readonly interrupted: boolean;
}

export function streamSummary(stats: StreamStats, source: string, model: string, interrupted: boolean): StreamSummary {
  return {
    source,
    model,
    frames: stats.counts,
    errorsByCode: stats.errorsByCode,
    elapsedMs: Math.round(stats.elapsedMs),
    fps: round(stats.throughput, 2),
    latencyMs: stats.latency() ?? null,
    interrupted,
  };
}

/** The live line: `sent 120  answered 118  14.9 fps  p50 12.1 ms  p99 30.2 ms  dropped server 2 client 40  errors 0  8.1 s`. */
export function statusText(stats: StreamStats): string {
  const c = stats.counts;
  const latency = stats.latency();
  const parts = [
    `sent ${c.sent}`,
    `answered ${c.answered}`,
    `${stats.recentRate.toFixed(1)} fps`,
    latency === undefined ? 'p50 - p99 -' : `p50 ${ms(latency.p50)} p99 ${ms(latency.p99)}`,
    `dropped server ${c.droppedByServer} client ${c.droppedByClient}`,
    `errors ${c.errors}`,
  ];
  if (c.skipped > 0) parts.push(`skipped ${c.skipped}`);
  parts.push(`${(stats.elapsedMs / 1000).toFixed(1)} s`);
  return parts.join('  ');
}

/** The summary for people, a few aligned lines. */
export function formatStreamSummary(summary: StreamSummary): string {
  const f = summary.frames;
  const errors = Object.entries(summary.errorsByCode).map(([code, count]) => `${code} ${count}`);
  const lines = [
    `${summary.interrupted ? 'interrupted' : 'done'}: ${summary.source} -> ${summary.model}`,
    `frames      ${f.sent} sent, ${f.answered} answered: ${f.predictions} predicted, ${f.droppedByServer} dropped by the server, ${f.errors} errors${errors.length > 0 ? ` (${errors.join(', ')})` : ''}; ${f.droppedByClient} dropped by the client`,
  ];
  if (f.skipped > 0) lines.push(`skipped     ${f.skipped} camera frames, to keep to the requested rate`);
  lines.push(`throughput  ${summary.fps.toFixed(1)} frames/s predicted in ${(summary.elapsedMs / 1000).toFixed(2)} s`);
  const l = summary.latencyMs;
  if (l !== null) lines.push(`latency     p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`);
  return `${lines.join('\n')}\n`;
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function round(value: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}
