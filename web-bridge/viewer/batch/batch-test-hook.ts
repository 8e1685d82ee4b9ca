/**
 * `window.__sluiceBatch`: the batch page's state and figures, for browser tests (and for anyone
 * curious, in the console). Numbers are the shared metrics' own, unrounded.
 */

export interface BatchTestHook {
  connected: boolean;
  /** Models and datasets loaded into the pickers. */
  ready: boolean;
  state: 'idle' | 'starting' | 'running' | 'ended';
  /** Why the last run ended: done, stopped, error; '' before the end. */
  endReason: string;
  model: string;
  /** Dataset name, or '(dropped files)'. */
  dataset: string;
  /** Images matching the filters (before the image limit). */
  matching: number;
  /** Images of the current run. */
  total: number;
  /** Paths of the current run's images, in order. */
  paths: string[];
  /** Result messages of the current run received. */
  results: number;
  /** Binary messages sent (images of an upload run). */
  framesSent: number;
  /** Top-1 accuracy over the labelled images; null without labels. */
  accuracy: number | null;
  confusion: { labels: string[]; matrix: number[][] } | null;
  positive: string;
  threshold: number;
  /** ROC AUC and average precision of the positive class; null without them. */
  auc: number | null;
  averagePrecision: number | null;
  binary: { truePositives: number; falsePositives: number; trueNegatives: number; falseNegatives: number; precision: number; recall: number } | null;
  /** What the charts hold: curve points, scores in the histogram, cells of the confusion matrix. */
  charts: { roc: number; pr: number; histogram: number; confusion: number; histogramLog: boolean };
  /** Whether the classification charts are shown (hidden for models that answer otherwise). */
  classification: boolean;
  samplesShown: number;
  /** Times the metrics were computed. */
  evaluations: number;
  errors: number;
  lastError: string;
}

declare global {
  interface Window {
    __sluiceBatch?: BatchTestHook;
  }
}

export function installBatchTestHook(): BatchTestHook {
  const hook: BatchTestHook = {
    connected: false,
    ready: false,
    state: 'idle',
    endReason: '',
    model: '',
    dataset: '',
    matching: 0,
    total: 0,
    paths: [],
    results: 0,
    framesSent: 0,
    accuracy: null,
    confusion: null,
    positive: '',
    threshold: 0.5,
    auc: null,
    averagePrecision: null,
    binary: null,
    charts: { roc: 0, pr: 0, histogram: 0, confusion: 0, histogramLog: false },
    classification: true,
    samplesShown: 0,
    evaluations: 0,
    errors: 0,
    lastError: '',
  };
  window.__sluiceBatch = hook;
  return hook;
}
