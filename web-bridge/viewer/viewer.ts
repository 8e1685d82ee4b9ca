/**
 * The viewer's entry point (bundled by esbuild into viewer.js): reads what the address asks for,
 * finds the page's elements and wires them to the `Viewer` and the server lists.
 *
 * The address: `?session=NAME` watches that published stream at once, or as soon as it is
 * published; `?model=M` and `?source=synthetic|camera|file` preselect the sending controls;
 * `&autostart=1` with the synthetic source starts sending at once (`session` wins over it). The
 * page keeps the address up to date as the user changes these.
 */
import { ModelUploadPanel } from './model-upload-panel.js';
import { ServerLists } from './server-lists.js';
import { replaceUrlState, readUrlState } from './url-state.js';
import { Viewer } from './viewer-controller.js';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

const asked = readUrlState(location.search);
const status = element('status', HTMLElement);
const modelSelect = element('model-select', HTMLSelectElement);
const sessionSelect = element('session-select', HTMLSelectElement);
const sourceKind = element('source-kind', HTMLSelectElement);
const sourceFile = element('source-file', HTMLInputElement);
if (asked.source !== undefined) sourceKind.value = asked.source;
sourceFile.hidden = sourceKind.value !== 'file';

const viewer = new Viewer(
  {
    connection: element('connection', HTMLElement),
    status,
    canvas: element('frame-canvas', HTMLCanvasElement),
    caption: element('frame-caption', HTMLElement),
    classes: element('classes', HTMLOListElement),
    texts: element('texts', HTMLUListElement),
    timingPanel: element('timing-panel', HTMLElement),
    chart: element('chart', HTMLElement),
    statsLine: element('stats-line', HTMLElement),
    modelSelect,
    sessionSelect,
    sourceKind,
    sourceFile,
    windowInput: element('window-input', HTMLInputElement),
    fpsInput: element('fps-input', HTMLInputElement),
    privateInput: element('private-input', HTMLInputElement),
    stopButton: element('stop-button', HTMLButtonElement),
    emptyState: element('empty-state', HTMLElement),
  },
  { session: asked.session },
);

/** Said once the models are known: what of the address could not be honoured. */
function addressProblems(models: readonly string[]): string[] {
  const problems = [...asked.problems];
  if (asked.model !== undefined && !models.includes(asked.model)) problems.push(`model=${asked.model} is not an image model this server serves`);
  if (asked.autostart && asked.session === undefined && sourceKind.value !== 'synthetic') problems.push(`autostart applies to the synthetic source only: choose the ${sourceKind.value} and press Start`);
  return problems;
}

const lists = new ServerLists(
  { modelSelect, sessionSelect, sessionsHint: element('sessions-hint', HTMLElement) },
  {
    preferredModel: asked.model,
    onSessions: (names) => viewer.sessionsListed(names),
    onModels: (models) => {
      const problems = addressProblems(models);
      if (problems.length > 0) {
        status.textContent = `the address asks for what cannot be done: ${problems.join('; ')}`;
        status.classList.add('error');
        return;
      }
      if (asked.autostart && asked.session === undefined) viewer.startWhenConnected();
    },
  },
);

new ModelUploadPanel(element('model-upload', HTMLDetailsElement), {
  onUploaded: async ({ model }) => {
    await lists.refreshModels(model.name);
    // As if picked by hand: the address names it, and a running source moves to it.
    if (model.name !== undefined && modelSelect.value === model.name) modelSelect.dispatchEvent(new Event('change'));
  },
});

modelSelect.addEventListener('change', () => {
  replaceUrlState(window, { model: modelSelect.value });
  // The running source follows the pickers, so that what is sent is what the address says.
  if (viewer.sending) void viewer.startSource();
});
sourceKind.addEventListener('change', () => {
  sourceFile.hidden = sourceKind.value !== 'file';
  replaceUrlState(window, { source: sourceKind.value, ...(sourceKind.value === 'synthetic' ? {} : { autostart: undefined }) });
  if (viewer.sending && sourceKind.value !== 'file') void viewer.startSource();
});
sessionSelect.addEventListener('change', () => {
  if (sessionSelect.value !== '') viewer.watchSession(sessionSelect.value);
});
element('start-button', HTMLButtonElement).addEventListener('click', () => void viewer.startSource());
element('watch-button', HTMLButtonElement).addEventListener('click', () => viewer.watch());
element('stop-button', HTMLButtonElement).addEventListener('click', () => viewer.stop());
element('details-button', HTMLButtonElement).addEventListener('click', () => viewer.showDetails());
element('frame-canvas', HTMLCanvasElement).addEventListener('click', () => viewer.showDetails());
