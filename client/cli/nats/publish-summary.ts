/**
 * What `sluice publish` reports: the live status text, the final summary for people, and the same
 * summary as JSON for scripts (`--json`), in the style of `sluice stream`.
 */
import type { LatencySummary } from '../stream/stream-stats.js';
import type { PublishCounts, PublishStats } from './publish-stats.js';

/** Where a run published to. */
export interface PublishTarget {
  /** The frame source, for people. */
  readonly source: string;
  readonly subject: string;
  readonly stream: string;
  /** True when the run created the stream (`--create`). */
  readonly streamCreated: boolean;
  /** The object store bucket for large frames. */
  readonly objectStore: string;
}

/** The final report of a publish run, as `--json` prints it. */
export interface PublishSummary extends PublishTarget {
  readonly messages: PublishCounts;
  readonly elapsedMs: number;
  /** Messages stored per second over the run. */
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
  /** From a publish to its PubAck; null when nothing was acknowledged. */
  readonly ackLatencyMs: LatencySummary | null;
  /** True when Ctrl-C (SIGINT) stopped the run. */
  readonly interrupted: boolean;
}

/** The summary of `stats` so far (the clock stops at `stats.finish()`). */
export function publishSummary(stats: PublishStats, target: PublishTarget, interrupted: boolean): PublishSummary {
  const seconds = stats.elapsedMs / 1000;
  const counts = stats.counts;
  return {
    ...target,
    messages: counts,
    elapsedMs: Math.round(stats.elapsedMs),
    messagesPerSecond: seconds > 0 ? round(counts.published / seconds, 2) : 0,
    bytesPerSecond: seconds > 0 ? Math.round(counts.bytes / seconds) : 0,
    ackLatencyMs: stats.ackLatency() ?? null,
    interrupted,
  };
}

/** The live line: `published 120  in flight 64  14.9 msg/s  1.2 MB  ack p50 2.1 ms p99 9.0 ms  dropped 3  8.1 s`. */
export function publishStatusText(stats: PublishStats): string {
  const c = stats.counts;
  const ack = stats.ackLatency();
  const parts = [
    `published ${c.published}`,
    `in flight ${stats.inFlight}`,
    `${stats.recentRate.toFixed(1)} msg/s`,
    formatBytes(c.bytes),
    ack === undefined ? 'ack p50 - p99 -' : `ack p50 ${ms(ack.p50)} p99 ${ms(ack.p99)}`,
    `dropped ${c.droppedAtCap + c.droppedFull}`,
  ];
  if (c.objects > 0) parts.push(`objects ${c.objects}`);
  if (c.duplicates > 0) parts.push(`duplicates ${c.duplicates}`);
  if (c.retriedFull > 0) parts.push(`stream full, retried ${c.retriedFull}`);
  if (c.skipped > 0) parts.push(`skipped ${c.skipped}`);
  parts.push(`${(stats.elapsedMs / 1000).toFixed(1)} s`);
  return parts.join('  ');
}

/** The summary for people, a few aligned lines. */
export function formatPublishSummary(summary: PublishSummary): string {
  const m = summary.messages;
  const stream = `stream ${summary.stream}${summary.streamCreated ? ', created' : ''}`;
  const extras = [
    ...(m.objects > 0 ? [`${m.objects} through the object store ${summary.objectStore}`] : []),
    ...(m.duplicates > 0 ? [`${m.duplicates} duplicates not stored again`] : []),
  ];
  const lines = [
    `${summary.interrupted ? 'interrupted' : 'done'}: ${summary.source} -> ${summary.subject} (${stream})`,
    `messages    ${m.published} published, ${formatBytes(m.bytes)}${extras.length > 0 ? ` (${extras.join('; ')})` : ''}; ${m.droppedAtCap + m.droppedFull} dropped (${m.droppedAtCap} at the in-flight cap, ${m.droppedFull} refused by a full stream)`,
  ];
  if (m.retriedFull > 0) lines.push(`waited      ${m.retriedFull} times for room in the full stream`);
  if (m.skipped > 0) lines.push(`skipped     ${m.skipped} camera frames, to keep to the requested rate`);
  lines.push(`throughput  ${summary.messagesPerSecond.toFixed(1)} messages/s, ${formatBytes(summary.bytesPerSecond)}/s in ${(summary.elapsedMs / 1000).toFixed(2)} s`);
  const l = summary.ackLatencyMs;
  if (l !== null) lines.push(`ack         p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`);
  return `${lines.join('\n')}\n`;
}

/** `812 B`, `1.2 kB`, `34.5 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

function round(value: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}
