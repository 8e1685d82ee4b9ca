/**
 * The run's figures as text: images, throughput and latency, accuracy, the binary metrics at the
 * threshold with their two-by-two matrix, and the confusion matrix over every class (the same SVG
 * the HTML report holds).
 */
import type { BatchEvaluation } from '../../../client/cli/batch/batch-evaluation.js';
import { confusionChart } from '../../../client/cli/report/svg-charts.js';
import type { StreamSummary } from '../../../client/cli/stream/stream-summary.js';
import type { AnswerKinds } from './run-results.js';

export interface EvaluationElements {
  /** A table body for the figures. */
  readonly figures: HTMLTableSectionElement;
  readonly binaryMatrix: HTMLElement;
  readonly confusion: HTMLElement;
}

const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');

function row(name: string, value: string, key: string): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset['figure'] = key;
  const th = document.createElement('th');
  th.scope = 'row';
  th.textContent = name;
  const td = document.createElement('td');
  td.textContent = value;
  tr.append(th, td);
  return tr;
}

function cell(tag: 'th' | 'td', text: string, key?: string): HTMLTableCellElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (key !== undefined) el.dataset['cell'] = key;
  return el;
}

export class EvaluationView {
  readonly #el: EvaluationElements;
  /** The confusion matrix drawn last, to skip redrawing the same one. */
  #drawnConfusion = '';

  constructor(elements: EvaluationElements) {
    this.#el = elements;
  }

  /**
   * Figures of the run so far; `total` is how many images the run has. `kinds`, for a model that
   * does not classify, adds what its answers held.
   */
  showFigures(summary: StreamSummary, evaluation: BatchEvaluation | undefined, total: number, kinds?: AnswerKinds): void {
    const f = summary.frames;
    const rows = [
      row('images', `${f.answered} of ${total}: ${f.predictions} predicted, ${f.errors} errors`, 'images'),
      row('throughput', `${summary.fps.toFixed(1)} images/s in ${(summary.elapsedMs / 1000).toFixed(2)} s`, 'throughput'),
    ];
    const errors = Object.entries(summary.errorsByCode);
    if (errors.length > 0) rows.push(row('errors', errors.map(([code, n]) => `${code} ${n}`).join(', '), 'errors'));
    const l = summary.latencyMs;
    if (l !== null) rows.push(row('server latency', `p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`, 'latency'));
    if (kinds !== undefined && kinds.predictions > 0) {
      const held = [`${kinds.detections} detections`, `${kinds.points} points`, `${kinds.texts} texts`, `${kinds.masks} masks`];
      rows.push(row('answers held', `${held.join(', ')} (${(kinds.detections / kinds.predictions).toFixed(1)} detections per image)`, 'answers'));
    }
    const c = evaluation?.confusion;
    if (c !== undefined) rows.push(row('accuracy', `${pct(c.accuracy)} (${c.correct} of ${c.total} labelled images)`, 'accuracy'));
    if (evaluation !== undefined && evaluation.unlabelled > 0) rows.push(row('without a label', String(evaluation.unlabelled), 'unlabelled'));
    const b = evaluation?.binary;
    if (b !== undefined) {
      const t = b.atThreshold;
      const n = t.truePositives + t.falsePositives + t.trueNegatives + t.falseNegatives;
      rows.push(
        row('ROC AUC', num(b.roc.auc), 'auc'),
        row('average precision', num(b.pr.averagePrecision), 'ap'),
        row(`at threshold ${t.threshold}`, `precision ${num(t.precision)}, recall ${num(t.recall)}, F1 ${num(t.f1)}, accuracy ${pct(n === 0 ? Number.NaN : (t.truePositives + t.trueNegatives) / n)}`, 'at-threshold'),
      );
    }
    this.#el.figures.replaceChildren(...rows);
  }

  /** The positive class against the rest at the threshold: rows are the truth, columns the call. */
  showBinary(evaluation: BatchEvaluation | undefined): void {
    const b = evaluation?.binary;
    if (b === undefined) {
      this.#el.binaryMatrix.replaceChildren();
      return;
    }
    const t = b.atThreshold;
    const table = document.createElement('table');
    table.className = 'matrix';
    const caption = document.createElement('caption');
    caption.textContent = `"${b.positive}" at score ≥ ${t.threshold}`;
    const head = document.createElement('tr');
    head.append(cell('th', ''), cell('th', `called ${b.positive}`), cell('th', 'called other'));
    const positives = document.createElement('tr');
    positives.append(cell('th', `true ${b.positive}`), cell('td', String(t.truePositives), 'tp'), cell('td', String(t.falseNegatives), 'fn'));
    const negatives = document.createElement('tr');
    negatives.append(cell('th', 'true other'), cell('td', String(t.falsePositives), 'fp'), cell('td', String(t.trueNegatives), 'tn'));
    table.append(caption, head, positives, negatives);
    this.#el.binaryMatrix.replaceChildren(table);
  }

  /** The confusion matrix over every class; returns the number of cells drawn. */
  showConfusion(evaluation: BatchEvaluation | undefined): number {
    const c = evaluation?.confusion;
    const svg = c === undefined ? '' : confusionChart(c.labels, c.matrix);
    // The chart escapes every label it writes: the string is safe to parse as markup.
    if (svg !== this.#drawnConfusion) this.#el.confusion.innerHTML = svg;
    this.#drawnConfusion = svg;
    return c === undefined ? 0 : c.labels.length * c.labels.length;
  }
}
