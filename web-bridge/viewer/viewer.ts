/**
 * The viewer's entry point (bundled by esbuild into viewer.js): finds the page's elements and
 * wires them to the `Viewer` and the server lists.
 */
import { ServerLists } from './server-lists.js';
import { Viewer } from './viewer-controller.js';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const sourceKind = element('source-kind', HTMLSelectElement);
const sourceFile = element('source-file', HTMLInputElement);
const viewer = new Viewer({
  connection: element('connection', HTMLElement),
  status: element('status', HTMLElement),
  canvas: element('frame-canvas', HTMLCanvasElement),
  caption: element('frame-caption', HTMLElement),
  classes: element('classes', HTMLOListElement),
  texts: element('texts', HTMLUListElement),
  timingPanel: element('timing-panel', HTMLElement),
  chart: element('chart', HTMLElement),
  statsLine: element('stats-line', HTMLElement),
  modelSelect: element('model-select', HTMLSelectElement),
  sessionSelect: element('session-select', HTMLSelectElement),
  sourceKind,
  sourceFile,
  windowInput: element('window-input', HTMLInputElement),
  fpsInput: element('fps-input', HTMLInputElement),
  privateInput: element('private-input', HTMLInputElement),
  stopButton: element('stop-button', HTMLButtonElement),
});
new ServerLists({
  modelSelect: element('model-select', HTMLSelectElement),
  sessionSelect: element('session-select', HTMLSelectElement),
  sessionsHint: element('sessions-hint', HTMLElement),
});

sourceKind.addEventListener('change', () => {
  sourceFile.hidden = sourceKind.value !== 'file';
});
element('start-button', HTMLButtonElement).addEventListener('click', () => void viewer.startSource());
element('watch-button', HTMLButtonElement).addEventListener('click', () => viewer.watch());
element('stop-button', HTMLButtonElement).addEventListener('click', () => viewer.stop());
element('details-button', HTMLButtonElement).addEventListener('click', () => viewer.showDetails());
element('frame-canvas', HTMLCanvasElement).addEventListener('click', () => viewer.showDetails());
