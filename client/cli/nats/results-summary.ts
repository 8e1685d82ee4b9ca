/**
 * What `sluice results` reports: the live status text, and the summary `sluice stream` prints
 * (from the same `StreamSummary`), worded for results read back rather than frames sent: its
 * `frames.sent` counts the messages read, and its latency is the server's time per item.
 */
import type { StreamSummary } from '../stream/stream-summary.js';
import type { StreamStats } from '../stream/stream-stats.js';

/** The `--json` summary. */
export function resultsSummaryJson(summary: StreamSummary): Record<string, unknown> {
  const f = summary.frames;
  return {
    source: summary.source,
    models: summary.model,
    results: { read: f.sent, predictions: f.predictions, dropped: f.droppedByServer, errors: f.errors },
    errorsByCode: summary.errorsByCode,
    elapsedMs: summary.elapsedMs,
    predictionsPerSecond: summary.fps,
    serverLatencyMs: summary.latencyMs,
    interrupted: summary.interrupted,
  };
}

/** The live line: `read 120  118.0 results/s  server p50 12.1 ms p99 30.2 ms  dropped 2  errors 0  8.1 s`. */
export function resultsStatusText(stats: StreamStats): string {
  const c = stats.counts;
  const latency = stats.latency();
  return [
    `read ${c.sent}`,
    `${stats.recentRate.toFixed(1)} results/s`,
    latency === undefined ? 'server p50 - p99 -' : `server p50 ${ms(latency.p50)} p99 ${ms(latency.p99)}`,
    `dropped ${c.droppedByServer}`,
    `errors ${c.errors}`,
    `${(stats.elapsedMs / 1000).toFixed(1)} s`,
  ].join('  ');
}

/** The summary for people, a few aligned lines. */
export function formatResultsSummary(summary: StreamSummary): string {
  const f = summary.frames;
  const errors = Object.entries(summary.errorsByCode).map(([code, count]) => `${code} ${count}`);
  const lines = [
    `${summary.interrupted ? 'interrupted' : 'done'}: ${summary.source} -> ${summary.model}`,
    `results     ${f.sent} read: ${f.predictions} predicted, ${f.droppedByServer} dropped by the server, ${f.errors} errors${errors.length > 0 ? ` (${errors.join(', ')})` : ''}`,
    `throughput  ${summary.fps.toFixed(1)} predictions/s read in ${(summary.elapsedMs / 1000).toFixed(2)} s`,
  ];
  const l = summary.latencyMs;
  if (l !== null) lines.push(`latency     p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)} (server time, from the results' timings)`);
  return `${lines.join('\n')}\n`;
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}
