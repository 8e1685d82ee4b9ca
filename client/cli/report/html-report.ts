/**
 * `sluice batch --report report.html`: one self-contained page (inline CSS and SVG, no scripts, no
 * external assets) with the run's figures, the confusion matrix, and for a binary evaluation the
 * ROC curve, the precision/recall curve and the histogram of the positive class's scores.
 */
import type { BatchEvaluation } from '../batch/batch-evaluation.js';
import type { BatchRecord } from '../batch/batch-record.js';
import type { StreamSummary } from '../stream/stream-summary.js';
import { confusionChart, curveChart, escapeXml, histogramChart } from './svg-charts.js';

export interface ReportInput {
  readonly summary: StreamSummary;
  readonly evaluation: BatchEvaluation;
  readonly records: readonly BatchRecord[];
  readonly generatedAt: Date;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666;margin:0 0 16px}
table.figures{border-collapse:collapse}table.figures td{padding:3px 14px 3px 0}table.figures td:first-child{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:16px}
svg{background:#fff;border:1px solid #ddd;border-radius:4px;font-size:11px}
svg .title{font-size:13px;font-weight:600}svg .grid{stroke:#eee}svg .axes{fill:none;stroke:#999}
svg .curve{fill:none;stroke:#1f77b4;stroke-width:2}svg .chance{stroke:#aaa;stroke-dasharray:4 4}svg .cell{stroke:#fff}
table.errors{border-collapse:collapse;font-size:13px}table.errors td,table.errors th{border-bottom:1px solid #eee;padding:3px 10px 3px 0;text-align:left}
`;

export function htmlReport(input: ReportInput): string {
  const { summary, evaluation, records } = input;
  const figures: [string, string][] = [
    ['images', `${summary.frames.answered} (${summary.frames.predictions} predicted, ${summary.frames.errors} errors)`],
    ['throughput', `${summary.fps.toFixed(1)} images/s in ${(summary.elapsedMs / 1000).toFixed(2)} s`],
  ];
  if (summary.latencyMs !== null) {
    const l = summary.latencyMs;
    figures.push(['latency', `p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`]);
  }
  const sections: string[] = [];
  if (evaluation.confusion !== undefined) {
    const c = evaluation.confusion;
    figures.push(['accuracy', `${pct(c.accuracy)} (${c.correct} of ${c.total} labelled images)`]);
    if (evaluation.unlabelled > 0) figures.push(['unlabelled', String(evaluation.unlabelled)]);
    sections.push(`<h2>Confusion matrix</h2>${confusionChart(c.labels, c.matrix)}`);
  }
  const b = evaluation.binary;
  if (b !== undefined) {
    const t = b.atThreshold;
    figures.push(
      ['positive class', escapeXml(b.positive)],
      ['ROC AUC', num(b.roc.auc)],
      ['average precision', num(b.pr.averagePrecision)],
      [`at threshold ${t.threshold}`, `precision ${num(t.precision)}, recall ${num(t.recall)}, F1 ${num(t.f1)} (TP ${t.truePositives}, FP ${t.falsePositives}, TN ${t.trueNegatives}, FN ${t.falseNegatives})`],
    );
    const roc = curveChart(`ROC (AUC ${num(b.roc.auc)})`, 'false positive rate', 'true positive rate', b.roc.points.map((p) => [p.falsePositiveRate, p.truePositiveRate] as const), true);
    const prPoints = b.pr.points.length === 0 ? [] : [[0, b.pr.points[0]?.precision ?? 1] as const, ...b.pr.points.map((p) => [p.recall, p.precision] as const)];
    const pr = curveChart(`Precision / recall (AP ${num(b.pr.averagePrecision)})`, 'recall', 'precision', prPoints, false);
    const histogram = histogramChart(`Scores of "${b.positive}"`, [
      { name: `true ${b.positive}`, values: b.samples.filter((s) => s.positive).map((s) => s.score), colour: '#1f77b4' },
      { name: 'other', values: b.samples.filter((s) => !s.positive).map((s) => s.score), colour: '#d62728' },
    ]);
    sections.push(`<h2>Binary evaluation: ${escapeXml(b.positive)} against the rest</h2><div class="charts">${roc}${pr}${histogram}</div>`);
  } else {
    const scored = records.filter((r) => r.score !== undefined);
    if (scored.length > 0) {
      const right = scored.filter((r) => r.label !== undefined && r.label === r.predicted);
      const wrong = scored.filter((r) => r.label !== undefined && r.label !== r.predicted);
      const series =
        right.length + wrong.length > 0
          ? [
              { name: 'correct', values: right.map((r) => r.score as number), colour: '#1f77b4' },
              { name: 'wrong', values: wrong.map((r) => r.score as number), colour: '#d62728' },
            ]
          : [{ name: 'all images', values: scored.map((r) => r.score as number), colour: '#1f77b4' }];
      sections.push(`<h2>Top-class scores</h2>${histogramChart('Score of the predicted class', series)}`);
    }
  }
  const failed = records.filter((r) => r.errorCode !== undefined);
  if (failed.length > 0) {
    const rows = failed
      .slice(0, 100)
      .map((r) => `<tr><td>${escapeXml(r.path)}</td><td>${escapeXml(r.errorCode ?? '')}</td><td>${escapeXml(r.error ?? '')}</td></tr>`)
      .join('');
    sections.push(`<h2>Errors${failed.length > 100 ? ' (first 100)' : ''}</h2><table class="errors"><tr><th>image</th><th>code</th><th>message</th></tr>${rows}</table>`);
  }
  const table = figures.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${v}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sluice batch: ${escapeXml(summary.model)} on ${escapeXml(summary.source)}</title><style>${STYLE}</style></head>
<body><h1>${escapeXml(summary.model)} on ${escapeXml(summary.source)}</h1>
<p class="meta">sluice batch, ${escapeXml(input.generatedAt.toISOString())}</p>
<table class="figures">${table}</table>
${sections.join('\n')}
</body></html>
`;
}

function num(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a';
}
