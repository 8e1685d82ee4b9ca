/**
 * The batch page's state: the socket to the bridge, the run under way (at most one: the bridge
 * runs one activity per socket), and when the views redraw. A run goes starting (the `evaluate`
 * message is sent) -> running (`evaluate-started`; an upload run sends its files now) -> ended
 * (`ended`: done, stopped or error; or the socket closed).
 */
import type { EvaluateMessage, ResultHeader, ServerControlMessage } from '../../protocol/messages.js';
import { BridgeConnection } from '../bridge-connection.js';
import { AnalysisView, type AnalysisElements } from './analysis-view.js';
import { fetchModelLabels } from './batch-api.js';
import { BatchRun } from './batch-run.js';
import { type BatchTestHook, installBatchTestHook } from './batch-test-hook.js';
import { acceptDrops, filesOfInput } from './drop-zone.js';
import { droppedImages } from './dropped-files.js';
import { download, resultsCsv, resultsJsonl, resultsReport } from './exports.js';
import { RunForm, type RunFormElements, type RunPlan } from './run-form.js';
import { UploadSender } from './upload-sender.js';

export interface BatchElements {
  readonly connection: HTMLElement;
  readonly status: HTMLElement;
  readonly form: RunFormElements;
  readonly runButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  readonly dropZone: HTMLElement;
  readonly fileInput: HTMLInputElement;
  readonly folderInput: HTMLInputElement;
  readonly progress: HTMLProgressElement;
  readonly progressText: HTMLElement;
  readonly analysis: AnalysisElements;
  readonly exportCsv: HTMLButtonElement;
  readonly exportJsonl: HTMLButtonElement;
  readonly exportReport: HTMLButtonElement;
}

/** Redraws while results arrive at most this often: a few thousand answers a second are not a few thousand redraws. */
const RENDER_EVERY_MS = 250;

export class BatchController {
  readonly #el: BatchElements;
  readonly #hook: BatchTestHook = installBatchTestHook();
  readonly #connection: BridgeConnection;
  readonly #form: RunForm;
  readonly #view: AnalysisView;
  #run: BatchRun | undefined;
  #maxFrameBytes = Infinity;
  #renderTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(elements: BatchElements) {
    this.#el = elements;
    this.#form = new RunForm(elements.form, () => this.#formChanged(), (message) => this.#status(message, true));
    this.#view = new AnalysisView(elements.analysis, this.#hook, () => this.#form.samples);
    elements.form.samplesInput.addEventListener('input', () => this.#view.render(true));
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.#connection = new BridgeConnection(url, {
      onOpen: () => this.#setConnected(true),
      onClose: () => this.#closed(),
      onControl: (message) => this.#onControl(message),
      onResult: ({ header }) => this.#onResult(header),
    });
    elements.runButton.addEventListener('click', () => this.start());
    elements.cancelButton.addEventListener('click', () => this.cancel());
    elements.exportCsv.addEventListener('click', () => this.#export('csv'));
    elements.exportJsonl.addEventListener('click', () => this.#export('jsonl'));
    elements.exportReport.addEventListener('click', () => this.#export('html'));
    acceptDrops(elements.dropZone, (images) => this.#dropped(images.length, () => this.#form.useDropped(images)), (message) => this.#status(message, true));
    for (const input of [elements.fileInput, elements.folderInput]) {
      input.addEventListener('change', () => {
        const images = droppedImages(filesOfInput(input));
        this.#dropped(images.length, () => this.#form.useDropped(images));
        input.value = '';
      });
    }
    this.#setButtons();
    void this.#form.load();
  }

  /** Starts a run with the form's settings. */
  start(): void {
    if (this.#run !== undefined && this.#run.state !== 'ended') return;
    const planned = this.#form.plan();
    if (typeof planned === 'string') return this.#status(planned, true);
    if (!this.#connection.open) return this.#status('not connected to the bridge', true);
    let plan: RunPlan = planned;
    let left = 0;
    if (plan.dataset === undefined) {
      // A file over the bridge's frame limit would be refused: leave it out rather than break the count.
      const fits = plan.items.filter((i) => (i.file?.size ?? 0) <= this.#maxFrameBytes);
      left = plan.items.length - fits.length;
      if (fits.length === 0) return this.#status(`every chosen file is over the bridge's limit of ${this.#maxFrameBytes} bytes`, true);
      plan = { ...plan, items: fits };
    }
    const run = new BatchRun(plan);
    this.#run = run;
    const message: EvaluateMessage =
      plan.dataset === undefined
        ? { type: 'evaluate', model: plan.model.name, upload: plan.items.length, window: plan.window }
        : { type: 'evaluate', model: plan.model.name, dataset: plan.dataset, paths: plan.items.map((i) => i.path), window: plan.window };
    Object.assign(this.#hook, { state: 'starting', endReason: '', total: run.total, paths: plan.items.map((i) => i.path), results: 0, framesSent: 0 });
    this.#view.reset(run);
    this.#connection.send(message);
    void fetchModelLabels(plan.model.name).then((labels) => {
      if (labels === undefined) return;
      run.results.setModelLabels(labels);
      if (this.#run === run) this.#render();
    });
    this.#status(`starting ${plan.model.name} on ${run.total} images of ${plan.source}…${left > 0 ? ` (${left} files over the bridge's frame limit left out)` : ''}`);
    this.#render();
  }

  /** Cancels the run: the bridge cancels its stream and sends nothing more but `ended`. */
  cancel(): void {
    const run = this.#run;
    if (run === undefined || run.state === 'ended') return;
    run.stopping = true;
    run.sender?.stop();
    if (!this.#connection.send({ type: 'stop' })) this.#ended(run, 'stopped');
    this.#setButtons();
  }

  #onControl(message: ServerControlMessage): void {
    const run = this.#run;
    switch (message.type) {
      case 'hello':
        this.#maxFrameBytes = message.maxFrameBytes;
        return;
      case 'evaluate-started':
        if (run === undefined || run.state !== 'starting') return;
        run.state = 'running';
        run.session = message.session;
        this.#hook.state = 'running';
        this.#status(`running ${message.model} on ${message.total} images of ${run.plan.source}`);
        if (run.plan.dataset === undefined && !run.stopping) this.#sendFiles(run);
        this.#setButtons();
        return;
      case 'ended':
        // A run stopped while starting ends before its name is known.
        if (message.activity !== 'evaluate' || run === undefined || run.state === 'ended' || (run.session !== '' && message.session !== run.session)) return;
        return this.#ended(run, message.reason);
      case 'error':
        this.#hook.errors++;
        this.#hook.lastError = message.code;
        this.#status(`${message.code}: ${message.message}`, true);
        // A run the bridge refused never started: no `ended` follows.
        if (run?.state === 'starting') this.#ended(run, 'error', false);
        return;
      default:
        return;
    }
  }

  #onResult(header: ResultHeader): void {
    if (header.activity !== 'evaluate') return;
    this.#hook.results++;
    const run = this.#run;
    if (run === undefined || run.state === 'ended' || header.session !== run.session) return;
    if (run.accept(header) === undefined) {
      this.#hook.errors++;
      this.#hook.lastError = `result for image ${header.index}, not in the run`;
      return;
    }
    this.#renderSoon();
  }

  #sendFiles(run: BatchRun): void {
    const files = run.plan.items.map((i) => i.file as File);
    const sender = new UploadSender(this.#connection, files, run.plan.window);
    run.sender = sender;
    const counter = setInterval(() => (this.#hook.framesSent = sender.sent), 200);
    sender.run().then(
      () => clearInterval(counter),
      (err: unknown) => {
        clearInterval(counter);
        this.#status(`cannot send the files: ${err instanceof Error ? err.message : String(err)}`, true);
        this.cancel();
      },
    );
  }

  #ended(run: BatchRun, reason: string, announce = true): void {
    run.end(reason);
    this.#hook.state = 'ended';
    this.#hook.endReason = reason;
    this.#hook.framesSent = run.sender?.sent ?? 0;
    this.#render();
    const c = run.stats.counts;
    if (announce) this.#status(`${reason === 'done' ? 'done' : reason}: ${c.answered} of ${run.total} images answered, ${c.errors} errors`, reason === 'error');
  }

  #closed(): void {
    this.#setConnected(false);
    const run = this.#run;
    if (run !== undefined && run.state !== 'ended') {
      this.#ended(run, 'error', false);
      this.#status('the connection to the bridge closed: the run ended', true);
    }
  }

  #dropped(count: number, use: () => void): void {
    if (count === 0) return this.#status('no image among the dropped files (.png, .jpg, .jpeg, .webp)', true);
    use();
    this.#status(`${count} dropped images: press Run to evaluate them`);
  }

  #renderSoon(): void {
    this.#renderTimer ??= setTimeout(() => this.#render(), RENDER_EVERY_MS);
  }

  #render(): void {
    if (this.#renderTimer !== undefined) clearTimeout(this.#renderTimer);
    this.#renderTimer = undefined;
    const run = this.#run;
    this.#setButtons();
    if (run === undefined) return;
    this.#view.render(true);
    const answered = run.stats.counts.answered;
    this.#el.progress.max = Math.max(1, run.total);
    this.#el.progress.value = answered;
    const rate = run.state === 'ended' ? run.stats.throughput : run.stats.recentRate;
    const eta = run.state !== 'ended' && rate > 0 ? ` · about ${Math.ceil((run.total - answered) / rate)} s left` : '';
    this.#el.progressText.textContent = `${answered} of ${run.total} images · ${rate.toFixed(1)} images/s${eta}${run.state === 'ended' ? ` · ${run.endReason}` : ''}`;
  }

  #export(kind: 'csv' | 'jsonl' | 'html'): void {
    const run = this.#run;
    const outcome = this.#view.outcome();
    if (run === undefined || outcome === undefined) return;
    const base = `${run.plan.model.name}-${run.plan.source}`.replace(/[^\w.-]+/g, '-');
    if (kind === 'csv') download(`${base}.csv`, resultsCsv(outcome.records), 'text/csv');
    else if (kind === 'jsonl') download(`${base}.jsonl`, resultsJsonl(run.results.results, outcome.records), 'application/x-ndjson');
    else download(`${base}-report.html`, resultsReport(outcome.summary, outcome.evaluation, outcome.records), 'text/html');
  }

  #formChanged(): void {
    this.#hook.ready = this.#form.ready;
    this.#hook.model = this.#form.model?.name ?? '';
    this.#hook.dataset = this.#form.datasetName;
    this.#hook.matching = this.#form.matching;
  }

  #setButtons(): void {
    const active = this.#run !== undefined && this.#run.state !== 'ended';
    this.#el.runButton.disabled = active;
    this.#el.cancelButton.disabled = !active || this.#run?.stopping === true;
    const none = (this.#run?.results.results.length ?? 0) === 0;
    for (const b of [this.#el.exportCsv, this.#el.exportJsonl, this.#el.exportReport]) b.disabled = none;
  }

  #setConnected(up: boolean): void {
    this.#hook.connected = up;
    this.#el.connection.textContent = up ? 'connected' : 'disconnected';
    this.#el.connection.className = `pill ${up ? 'up' : 'down'}`;
  }

  #status(text: string, isError = false): void {
    this.#el.status.textContent = text;
    this.#el.status.classList.toggle('error', isError);
  }
}
