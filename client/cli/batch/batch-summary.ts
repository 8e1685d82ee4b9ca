/**
 * What `sluice batch` reports at the end: counts, throughput and latency, then accuracy, the
 * confusion matrix and the binary metrics when there were labels; as text or as JSON.
 */
import type { StreamSummary } from '../stream/stream-summary.js';
import { type BatchEvaluation, evaluationJson } from './batch-evaluation.js';

/** The `--json` summary. */
export function batchSummaryJson(summary: StreamSummary, evaluation: BatchEvaluation): Record<string, unknown> {
  const { frames, fps, ...rest } = summary;
  return {
    source: rest.source,
    model: rest.model,
    // Errors include files that could not be read and so were never sent.
    images: { done: frames.answered, sent: frames.sent, predictions: frames.predictions, errors: frames.errors },
    errorsByCode: rest.errorsByCode,
    elapsedMs: rest.elapsedMs,
    imagesPerSecond: fps,
    latencyMs: rest.latencyMs,
    interrupted: rest.interrupted,
    ...evaluationJson(evaluation),
  };
}

export function formatBatchSummary(summary: StreamSummary, evaluation: BatchEvaluation): string {
  const f = summary.frames;
  const errors = Object.entries(summary.errorsByCode).map(([code, count]) => `${code} ${count}`);
  const lines = [
    `${summary.interrupted ? 'interrupted' : 'done'}: ${summary.source} -> ${summary.model}`,
    `images      ${f.answered}: ${f.predictions} predicted, ${f.errors} errors${errors.length > 0 ? ` (${errors.join(', ')})` : ''}`,
    `throughput  ${summary.fps.toFixed(1)} images/s in ${(summary.elapsedMs / 1000).toFixed(2)} s`,
  ];
  const l = summary.latencyMs;
  if (l !== null) lines.push(`latency     p50 ${l.p50.toFixed(1)} ms  p90 ${l.p90.toFixed(1)} ms  p99 ${l.p99.toFixed(1)} ms  max ${l.max.toFixed(1)} ms`);
  const c = evaluation.confusion;
  if (c !== undefined) {
    lines.push(`accuracy    ${(c.accuracy * 100).toFixed(1)}% (${c.correct} of ${c.total} labelled images${evaluation.unlabelled > 0 ? `; ${evaluation.unlabelled} without a label` : ''})`);
    lines.push('confusion   rows: true label, columns: predicted');
    const width = Math.max(5, ...c.labels.map((label) => label.length), ...c.matrix.flat().map((n) => String(n).length));
    lines.push(`            ${''.padEnd(width)}  ${c.labels.map((label) => label.padStart(width)).join('  ')}`);
    c.matrix.forEach((row, t) => lines.push(`            ${(c.labels[t] ?? '').padEnd(width)}  ${row.map((n) => String(n).padStart(width)).join('  ')}`));
  } else if (evaluation.unlabelled > 0 && evaluation.labelled === 0 && summary.frames.predictions > 0) {
    lines.push('accuracy    no image has a label');
  }
  const b = evaluation.binary;
  if (b !== undefined) {
    const t = b.atThreshold;
    lines.push(
      `binary      "${b.positive}" against the rest: ROC AUC ${num(b.roc.auc)}, average precision ${num(b.pr.averagePrecision)}`,
      `            at threshold ${t.threshold}: precision ${num(t.precision)}, recall ${num(t.recall)}, F1 ${num(t.f1)} (TP ${t.truePositives} FP ${t.falsePositives} TN ${t.trueNegatives} FN ${t.falseNegatives})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function num(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}
