/**
 * The live page's "Add a model" panel: an ONNX file, optionally its model.yaml and labels, sent to
 * the bridge's `POST /api/model-uploads`, which pushes them to the server to be checked,
 * trial-loaded and served (only the `admin` role may). Once served, the panel shows the
 * configuration the server completed, each main value with its origin (an inferred one with
 * Sluice's reason), and hands the model to the page; a refusal shows the server's message.
 */
import { type ConfigSourceJson, type ModelConfigJson, summariseConfig } from './model-config-summary.js';

/** The bridge's route for uploads. */
const UPLOAD_PATH = '/api/model-uploads';

/** The bridge's answer to an upload the server now serves (proto3 JSON of `PushModelResponse`, with the sources). */
export interface UploadedModel {
  /** The model's line in the model list (`ModelSummary`). */
  readonly model: { readonly name?: string; readonly acceptsImages?: boolean; readonly postprocessor?: string };
  readonly config: ModelConfigJson;
  /** Bytes the server received, all files together. */
  readonly bytes?: number;
  readonly sources: readonly ConfigSourceJson[];
}

/** Options of `ModelUploadPanel`. */
export interface ModelUploadOptions {
  /** Called when the server serves an upload, before the panel shows it (to list and select the model). */
  readonly onUploaded?: (uploaded: UploadedModel) => Promise<void> | void;
}

/** The bridge's answer, whatever it was. */
interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface PanelElements {
  readonly form: HTMLFormElement;
  readonly onnx: HTMLInputElement;
  readonly config: HTMLInputElement;
  readonly labels: HTMLInputElement;
  readonly name: HTMLInputElement;
  readonly replace: HTMLInputElement;
  readonly button: HTMLButtonElement;
  readonly progress: HTMLProgressElement;
  readonly message: HTMLElement;
  readonly result: HTMLElement;
}

const NAME_HINT = "the ONNX file's name";

function find<T extends HTMLElement>(root: HTMLElement, id: string, type: new () => T): T {
  const found = root.querySelector(`#${id}`);
  if (!(found instanceof type)) throw new Error(`the upload panel has no ${type.name} #${id}`);
  return found;
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.textContent = text;
  if (className !== '') made.className = className;
  return made;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Posts `body` and resolves with the answer, whatever its status. XMLHttpRequest rather than
 * fetch, which reports no upload progress: `onProgress` gets the fraction sent, 1 once all is.
 */
function postForm(path: string, body: FormData, onProgress: (fraction: number) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
    });
    xhr.upload.addEventListener('load', () => onProgress(1));
    xhr.addEventListener('load', () => resolve({ status: xhr.status, body: parseJson(xhr.responseText) }));
    xhr.addEventListener('error', () => reject(new Error('the upload did not reach the bridge (is it running?)')));
    xhr.addEventListener('abort', () => reject(new Error('the upload was interrupted')));
    xhr.send(body);
  });
}

function kilobytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** The refusal in `answer`'s body (`{ error: { code, message } }`), or what can be said without one. */
function refusalOf(answer: Answer): { code: string; message: string } {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
  const message = typeof error?.message === 'string' ? error.message : `the bridge answered HTTP ${answer.status}`;
  return { code, message };
}

/** The completed configuration: a heading, the main settings with their origins, and the raw JSON. */
function renderResult(uploaded: UploadedModel, selected: boolean): HTMLElement[] {
  const name = uploaded.model.name ?? uploaded.config.name ?? '';
  const heading = html('p', '', 'upload-done');
  heading.append(html('strong', name), ` is served${uploaded.bytes === undefined ? '' : ` (${kilobytes(uploaded.bytes)} received)`}`);
  if (uploaded.model.acceptsImages !== true) heading.append('. It takes tensors, not images: the live view cannot send frames to it.');
  else heading.append(selected ? ' and selected as the model: Start sends frames to it.' : '.');

  const table = html('table', '', 'upload-config');
  const head = html('tr');
  head.append(html('th', 'Setting'), html('th', 'Value'), html('th', 'From'));
  table.createTHead().append(head);
  const body = table.createTBody();
  for (const s of summariseConfig(uploaded.config, uploaded.sources)) {
    const row = html('tr');
    row.dataset['setting'] = s.key;
    const from = html('td');
    const origin = html('span', s.origin, `origin origin-${s.origin.replace(/[^a-z]+/gi, '-').toLowerCase()}`);
    if (s.reason !== '') {
      origin.title = s.reason;
      from.append(origin, html('small', s.reason));
    } else {
      from.append(origin);
    }
    row.append(html('th', s.setting), html('td', s.value), from);
    body.append(row);
  }

  const raw = html('details', '', 'upload-json');
  raw.append(html('summary', 'Completed configuration as JSON'), html('pre', JSON.stringify({ config: uploaded.config, sources: uploaded.sources }, null, 2)));
  return [heading, table, raw];
}

/** Wires the panel's form; the elements are found inside `root` by id. */
export class ModelUploadPanel {
  readonly #el: PanelElements;
  readonly #options: ModelUploadOptions;
  #busy = false;

  constructor(root: HTMLElement, options: ModelUploadOptions = {}) {
    this.#el = {
      form: find(root, 'upload-form', HTMLFormElement),
      onnx: find(root, 'upload-onnx', HTMLInputElement),
      config: find(root, 'upload-config', HTMLInputElement),
      labels: find(root, 'upload-labels', HTMLInputElement),
      name: find(root, 'upload-name', HTMLInputElement),
      replace: find(root, 'upload-replace', HTMLInputElement),
      button: find(root, 'upload-button', HTMLButtonElement),
      progress: find(root, 'upload-progress', HTMLProgressElement),
      message: find(root, 'upload-message', HTMLElement),
      result: find(root, 'upload-result', HTMLElement),
    };
    this.#options = options;
    this.#el.name.placeholder = NAME_HINT;
    this.#el.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.upload();
    });
    // The name the bridge will give it when the field stays empty.
    this.#el.onnx.addEventListener('change', () => {
      this.#el.name.placeholder = this.#el.onnx.files?.[0]?.name.replace(/\.onnx$/, '') ?? NAME_HINT;
    });
  }

  /** Sends the chosen files; resolves once the panel shows the outcome. */
  async upload(): Promise<void> {
    if (this.#busy) return;
    const onnx = this.#el.onnx.files?.[0];
    if (onnx === undefined) return this.#say('Choose an ONNX file first.', true);
    const body = new FormData();
    const name = this.#el.name.value.trim();
    if (name !== '') body.append('name', name);
    if (this.#el.replace.checked) body.append('replace', 'true');
    body.append('model', onnx, onnx.name);
    const config = this.#el.config.files?.[0];
    if (config !== undefined) body.append('config', config, config.name);
    const labels = this.#el.labels.files?.[0];
    if (labels !== undefined) body.append('labels', labels, labels.name);

    this.#busy = true;
    this.#el.button.disabled = true;
    this.#el.result.hidden = true;
    this.#el.result.replaceChildren();
    this.#el.progress.hidden = false;
    this.#progress(onnx.name, 0);
    try {
      const answer = await postForm(UPLOAD_PATH, body, (fraction) => this.#progress(onnx.name, fraction));
      if (answer.status === 200 && answer.body !== undefined) await this.#served(answer.body as UploadedModel);
      else this.#refused(answer.status, refusalOf(answer));
    } catch (err: unknown) {
      this.#refused(0, { code: 'NETWORK_ERROR', message: err instanceof Error ? err.message : String(err) });
    } finally {
      this.#busy = false;
      this.#el.button.disabled = false;
      this.#el.progress.hidden = true;
    }
  }

  #progress(file: string, fraction: number): void {
    const bar = this.#el.progress;
    if (fraction < 1) {
      bar.value = fraction;
      return this.#say(`Uploading ${file}: ${Math.round(fraction * 100)}%`);
    }
    // Without a value the bar is indeterminate: the server's checks and trial load report no progress.
    bar.removeAttribute('value');
    this.#say(`Uploaded ${file}; the server is checking and trial-loading it…`);
  }

  async #served(uploaded: UploadedModel): Promise<void> {
    let problem = '';
    try {
      await this.#options.onUploaded?.(uploaded);
    } catch (err: unknown) {
      problem = `Served, but the model list could not be refreshed (${err instanceof Error ? err.message : String(err)}): reload the page.`;
    }
    this.#el.result.replaceChildren(...renderResult(uploaded, problem === ''));
    this.#el.result.hidden = false;
    // The heading above the table says it is served; this line only speaks up about a problem.
    this.#say(problem, problem !== '');
    const hook = window.__sluiceViewer;
    if (hook !== undefined) hook.uploads++;
  }

  #refused(status: number, refusal: { code: string; message: string }): void {
    const role = status === 401 || status === 403 ? ' Uploading needs a token with the admin role: open the page with ?token=YOUR-TOKEN.' : '';
    this.#say(`Not served${status === 0 ? '' : ` (HTTP ${status})`}: ${refusal.message.replace(/\.$/, '')}.${role}`, true);
    const hook = window.__sluiceViewer;
    if (hook !== undefined) {
      hook.uploadsRefused++;
      hook.lastUploadError = `${status} ${refusal.code}`;
    }
  }

  #say(text: string, isError = false): void {
    this.#el.message.textContent = text;
    this.#el.message.classList.toggle('error', isError);
  }
}
