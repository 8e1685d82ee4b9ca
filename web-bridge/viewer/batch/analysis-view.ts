/**
 * Everything the page shows about a run, recomputed from its stored answers with the code `sluice
 * batch` uses (`batchRecord`, `evaluateBatch`): the figures, ROC and precision/recall curves for
 * the chosen positive class, the histogram of its score per true class, the matrices, and the
 * samples. Moving the threshold or choosing another positive class asks nothing of the server.
 */
import { type BatchEvaluation, evaluateBatch } from '../../../client/cli/batch/batch-evaluation.js';
import type { BatchRecord } from '../../../client/cli/batch/batch-record.js';
import type { StreamSummary } from '../../../client/cli/stream/stream-summary.js';
import { datasetImageUrl } from './batch-api.js';
import type { BatchRun } from './batch-run.js';
import type { BatchTestHook } from './batch-test-hook.js';
import { ScoreHistogram, type ScoreSeries, UnitCurveChart } from './charts.js';
import { EvaluationView } from './evaluation-view.js';
import type { RunItem } from './run-results.js';
import { SamplesGrid } from './samples-grid.js';

export interface AnalysisElements {
  readonly figures: HTMLTableSectionElement;
  /** The classification charts and matrices, hidden for other models. */
  readonly classification: HTMLElement;
  /** Says why the classification charts are hidden. */
  readonly note: HTMLElement;
  readonly positiveSelect: HTMLSelectElement;
  readonly thresholdInput: HTMLInputElement;
  readonly thresholdOutput: HTMLOutputElement;
  readonly logToggle: HTMLInputElement;
  readonly roc: HTMLElement;
  readonly pr: HTMLElement;
  readonly histogram: HTMLElement;
  readonly binaryMatrix: HTMLElement;
  readonly confusion: HTMLElement;
  readonly mistakesFirst: HTMLInputElement;
  readonly samples: HTMLElement;
}

/** A run's results as the exports need them. */
export interface RunOutcome {
  readonly summary: StreamSummary;
  readonly evaluation: BatchEvaluation;
  readonly records: readonly BatchRecord[];
}

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

function option(value: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = value;
  return o;
}

export class AnalysisView {
  readonly #el: AnalysisElements;
  readonly #hook: BatchTestHook;
  readonly #samplesCount: () => number;
  readonly #figures: EvaluationView;
  readonly #roc: UnitCurveChart;
  readonly #pr: UnitCurveChart;
  readonly #histogram: ScoreHistogram;
  readonly #samples: SamplesGrid;
  /** Object URLs of dropped files shown as samples, revoked with the run. */
  readonly #objectUrls = new Map<File, string>();
  #run: BatchRun | undefined;

  /** `samplesCount` reads how many samples the form asks for. */
  constructor(elements: AnalysisElements, hook: BatchTestHook, samplesCount: () => number) {
    this.#el = elements;
    this.#hook = hook;
    this.#samplesCount = samplesCount;
    this.#figures = new EvaluationView({ figures: elements.figures, binaryMatrix: elements.binaryMatrix, confusion: elements.confusion });
    this.#roc = new UnitCurveChart(elements.roc, 'ROC', 'false positive rate', 'true positive rate', { diagonal: true });
    this.#pr = new UnitCurveChart(elements.pr, 'Precision / recall', 'recall', 'precision', { diagonal: false });
    this.#histogram = new ScoreHistogram(elements.histogram, 'Score of the positive class');
    this.#samples = new SamplesGrid(elements.samples, (item) => this.#imageUrl(item));
    this.#showThreshold();
    elements.thresholdInput.addEventListener('input', () => {
      this.#showThreshold();
      this.render(false);
    });
    elements.positiveSelect.addEventListener('change', () => this.render(true));
    elements.mistakesFirst.addEventListener('change', () => this.render(true));
    elements.logToggle.addEventListener('change', () => {
      this.#histogram.setLog(elements.logToggle.checked);
      this.#hook.charts.histogramLog = this.#histogram.log;
      this.#histogram.setThreshold(this.#threshold);
    });
  }

  /** Starts showing `run` (and forgets the previous one). */
  reset(run: BatchRun): void {
    this.#run = run;
    this.#samples.clear();
    for (const url of this.#objectUrls.values()) URL.revokeObjectURL(url);
    this.#objectUrls.clear();
    this.#fillPositive(run.plan.classes, []);
    this.render(true);
  }

  /** Redraws from the run's answers; `full` false when only the threshold moved (the curves and samples stay). */
  render(full: boolean): void {
    const run = this.#run;
    if (run === undefined) return;
    const outcome = this.outcome();
    if (outcome === undefined) return;
    const { summary, evaluation, records } = outcome;
    const kinds = run.results.kinds;
    // A model answers with classes, or with boxes, points, text or masks; before any answer the model list says which.
    const classifier = kinds.predictions === 0 ? run.plan.model.postprocessor === 'classification' : kinds.classified > 0;
    this.#figures.showFigures(summary, classifier ? evaluation : undefined, run.total, classifier ? undefined : kinds);
    const labelled = evaluation.confusion !== undefined;
    this.#el.classification.hidden = !(classifier && labelled);
    this.#el.note.hidden = classifier && (labelled || kinds.predictions === 0);
    this.#el.note.textContent = classifier
      ? 'No answered image has a label: accuracy, the curves and the matrices need labelled images (a dataset, or dropped class folders).'
      : `${run.plan.model.name} answers with ${run.plan.model.postprocessor || 'tensors'}, not classes: there is no accuracy, ROC or confusion matrix to show. The samples show its answers.`;
    const b = evaluation.binary;
    this.#figures.showBinary(evaluation);
    const cells = this.#figures.showConfusion(classifier ? evaluation : undefined);
    if (full) {
      this.#fillPositive(run.plan.classes, run.results.modelLabels());
      this.#roc.setTitle(b === undefined ? 'ROC' : `ROC of ${b.positive} (AUC ${b.roc.auc.toFixed(3)})`);
      this.#roc.setPoints(b?.roc.points.map((p) => [p.falsePositiveRate, p.truePositiveRate] as const) ?? []);
      const pr = b?.pr.points ?? [];
      this.#pr.setTitle(b === undefined ? 'Precision / recall' : `Precision / recall of ${b.positive} (AP ${b.pr.averagePrecision.toFixed(3)})`);
      // From recall 0 at the first point's precision, as the report draws it.
      this.#pr.setPoints(pr.length === 0 ? [] : [[0, pr[0]?.precision ?? 1] as const, ...pr.map((p) => [p.recall, p.precision] as const)]);
      this.#histogram.setSeries(this.#scoreSeries(records, evaluation), b === undefined ? 'Score of the positive class' : `Score of ${b.positive}, by true class`);
      this.#samples.show(run.results.results, records, this.#samplesCount(), this.#el.mistakesFirst.checked);
    }
    const t = b?.atThreshold;
    this.#roc.setMarker(t === undefined ? undefined : [t.falsePositives / Math.max(1, t.falsePositives + t.trueNegatives), t.truePositives / Math.max(1, t.truePositives + t.falseNegatives)]);
    this.#pr.setMarker(t === undefined || !Number.isFinite(t.precision) ? undefined : [t.recall, t.precision]);
    this.#histogram.setThreshold(b === undefined ? undefined : this.#threshold);
    this.#updateHook(evaluation, classifier, cells);
  }

  /** The run's summary, evaluation and records at the current threshold and positive class. */
  outcome(): RunOutcome | undefined {
    const run = this.#run;
    if (run === undefined) return undefined;
    const positive = this.#el.positiveSelect.value === '' ? undefined : this.#el.positiveSelect.value;
    const records = run.results.records(positive);
    const evaluation = evaluateBatch(records, run.results.modelLabels(), positive, this.#threshold);
    this.#hook.evaluations++;
    return { summary: run.summary(), evaluation, records };
  }

  get #threshold(): number {
    const value = Number(this.#el.thresholdInput.value);
    return Number.isFinite(value) ? value : 0.5;
  }

  #showThreshold(): void {
    this.#el.thresholdOutput.value = this.#threshold.toFixed(2);
  }

  /** The positive class's score of the labelled predictions, one series per true label. */
  #scoreSeries(records: readonly BatchRecord[], evaluation: BatchEvaluation): ScoreSeries[] {
    if (evaluation.binary === undefined) return [];
    const byLabel = new Map<string, number[]>();
    for (const label of evaluation.confusion?.labels ?? []) byLabel.set(label, []);
    // The records evaluateBatch counts: predicted, scored, labelled, no error.
    for (const r of records) {
      if (r.score === undefined || r.predicted === undefined || r.errorCode !== undefined || r.label === undefined) continue;
      byLabel.get(r.label)?.push(r.positiveScore ?? 0);
    }
    return [...byLabel].filter(([, scores]) => scores.length > 0).map(([label, scores]) => ({ label, scores }));
  }

  /** The classes to pick the positive one from: the dataset's, then any other the model named; keeps the choice. */
  #fillPositive(classes: readonly string[], modelLabels: readonly string[]): void {
    const select = this.#el.positiveSelect;
    const all = [...new Set([...classes, ...modelLabels])];
    const current = [...select.options].map((o) => o.value);
    if (all.join('\0') === current.join('\0')) return;
    const previous = select.value;
    select.replaceChildren(...all.map(option));
    // As `sluice batch` does for a two-class model: the second class; else the first.
    const fallback = classes.length === 2 ? classes[1] : all[0];
    const wanted = all.includes(previous) ? previous : fallback;
    if (wanted !== undefined) select.value = wanted;
  }

  #imageUrl(item: RunItem): string {
    const dataset = this.#run?.plan.dataset;
    if (item.file === undefined) return datasetImageUrl(dataset ?? '', item.path);
    let url = this.#objectUrls.get(item.file);
    if (url === undefined) {
      url = URL.createObjectURL(item.file);
      this.#objectUrls.set(item.file, url);
    }
    return url;
  }

  #updateHook(evaluation: BatchEvaluation, classifier: boolean, cells: number): void {
    const h = this.#hook;
    const c = evaluation.confusion;
    const b = evaluation.binary;
    h.classification = classifier;
    h.accuracy = c === undefined ? null : num(c.accuracy);
    h.confusion = c === undefined ? null : { labels: [...c.labels], matrix: c.matrix.map((row) => [...row]) };
    h.positive = b?.positive ?? '';
    h.threshold = this.#threshold;
    h.auc = b === undefined ? null : num(b.roc.auc);
    h.averagePrecision = b === undefined ? null : num(b.pr.averagePrecision);
    const t = b?.atThreshold;
    h.binary = t === undefined ? null : { truePositives: t.truePositives, falsePositives: t.falsePositives, trueNegatives: t.trueNegatives, falseNegatives: t.falseNegatives, precision: t.precision, recall: t.recall };
    h.charts = { roc: this.#roc.points, pr: this.#pr.points, histogram: this.#histogram.counted, confusion: cells, histogramLog: this.#histogram.log };
    h.samplesShown = this.#samples.shown;
  }
}
