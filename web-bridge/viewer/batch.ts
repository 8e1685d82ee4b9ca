/**
 * The batch evaluation page's entry point (bundled by esbuild into batch.js): finds the page's
 * elements and hands them to the `BatchController`.
 */
import { BatchController } from './batch/batch-controller.js';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

new BatchController({
  connection: element('connection', HTMLElement),
  status: element('status', HTMLElement),
  form: {
    modelSelect: element('model-select', HTMLSelectElement),
    datasetSelect: element('dataset-select', HTMLSelectElement),
    filters: element('filters', HTMLElement),
    limitInput: element('limit-input', HTMLInputElement),
    samplesInput: element('samples-input', HTMLInputElement),
    windowInput: element('window-input', HTMLInputElement),
    matchLine: element('match-line', HTMLElement),
  },
  runButton: element('run-button', HTMLButtonElement),
  cancelButton: element('cancel-button', HTMLButtonElement),
  dropZone: element('drop-zone', HTMLElement),
  fileInput: element('file-input', HTMLInputElement),
  folderInput: element('folder-input', HTMLInputElement),
  progress: element('progress', HTMLProgressElement),
  progressText: element('progress-text', HTMLElement),
  analysis: {
    figures: element('figures', HTMLTableSectionElement),
    classification: element('classification', HTMLElement),
    note: element('classification-note', HTMLElement),
    positiveSelect: element('positive-select', HTMLSelectElement),
    thresholdInput: element('threshold-input', HTMLInputElement),
    thresholdOutput: element('threshold-output', HTMLOutputElement),
    logToggle: element('log-toggle', HTMLInputElement),
    roc: element('roc-chart', HTMLElement),
    pr: element('pr-chart', HTMLElement),
    histogram: element('histogram-chart', HTMLElement),
    binaryMatrix: element('binary-matrix', HTMLElement),
    confusion: element('confusion-matrix', HTMLElement),
    mistakesFirst: element('mistakes-first', HTMLInputElement),
    samples: element('samples', HTMLElement),
  },
  exportCsv: element('export-csv', HTMLButtonElement),
  exportJsonl: element('export-jsonl', HTMLButtonElement),
  exportReport: element('export-report', HTMLButtonElement),
});
