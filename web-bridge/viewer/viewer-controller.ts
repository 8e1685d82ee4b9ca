/**
 * The viewer's state: what the socket is doing (idle, starting a source, sourcing, watching), and
 * what each result does to the canvas, the side panel, the chart and the test hook.
 */
import type { ErrorMessage, ResultHeader, ServerControlMessage } from '../protocol/messages.js';
import { BridgeConnection } from './bridge-connection.js';
import { CameraSource } from './camera-source.js';
import { decodeMask } from './decode-mask.js';
import { FileSource } from './file-source.js';
import type { FrameSource } from './frame-source.js';
import { LiveStats } from './live-stats.js';
import { paintFrame } from './overlay-painter.js';
import { type ViewResult, type ViewSegmentation, readResult } from './read-result.js';
import { SourceStreamer } from './source-streamer.js';
import { StatsChart } from './stats-chart.js';
import { SyntheticSource } from './synthetic-source.js';
import { type ViewerTestHook, installTestHook } from './test-hook.js';
import { showTimings } from './timing-panel.js';

export interface ViewerElements {
  readonly connection: HTMLElement;
  readonly status: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly caption: HTMLElement;
  readonly classes: HTMLOListElement;
  readonly texts: HTMLUListElement;
  readonly timingPanel: HTMLElement;
  readonly chart: HTMLElement;
  readonly statsLine: HTMLElement;
  readonly modelSelect: HTMLSelectElement;
  readonly sessionSelect: HTMLSelectElement;
  readonly sourceKind: HTMLSelectElement;
  readonly sourceFile: HTMLInputElement;
  readonly windowInput: HTMLInputElement;
  readonly fpsInput: HTMLInputElement;
  readonly privateInput: HTMLInputElement;
  readonly stopButton: HTMLButtonElement;
}

type Mode =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting'; readonly source: FrameSource; readonly session: string; readonly window: number; readonly fps: number }
  | { readonly kind: 'source'; readonly source: FrameSource; readonly streamer: SourceStreamer; readonly session: string }
  | { readonly kind: 'watch'; readonly session: string };

/** Shown result: the one the timing panel describes when the frame is clicked. */
interface Shown {
  readonly result: ViewResult;
  readonly roundTripMs: number | undefined;
}

const SAMPLE_EVERY_MS = 500;

function clampInt(input: HTMLInputElement, min: number, max: number): number {
  const value = Math.round(Number(input.value));
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

export class Viewer {
  readonly #el: ViewerElements;
  readonly #connection: BridgeConnection;
  readonly #stats = new LiveStats();
  readonly #chart: StatsChart;
  readonly #hook: ViewerTestHook = installTestHook();
  #mode: Mode = { kind: 'idle' };
  #shown: Shown | undefined;
  #bridgeDropped = 0;
  /** Frames of the current source dropped so far, as the bridge last counted them. */
  #frameDrops = { bridge: 0, server: 0 };
  #watchLatest: { header: ResultHeader; image: Uint8Array; result: ViewResult } | undefined;
  #decoding = false;
  /** Source results waiting for a mask to decode, theirs or an earlier one's, and the draws they wait on. */
  #queued = 0;
  #drawQueue: Promise<void> = Promise.resolve();

  constructor(elements: ViewerElements) {
    this.#el = elements;
    this.#chart = new StatsChart(elements.chart);
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.#connection = new BridgeConnection(url, {
      onOpen: () => this.#setConnected(true),
      onClose: () => {
        this.#setConnected(false);
        this.#setMode({ kind: 'idle' });
      },
      onControl: (message) => this.#onControl(message),
      onResult: ({ header, image }) => this.#onResult(header, image),
    });
    setInterval(() => this.#sample(), SAMPLE_EVERY_MS);
  }

  /** Starts sending frames from the chosen source to the chosen model. */
  async startSource(): Promise<void> {
    this.#leave();
    const model = this.#el.modelSelect.value;
    if (model === '') return this.#status('no image model to send to', true);
    let source: FrameSource;
    try {
      const kind = this.#el.sourceKind.value;
      const file = this.#el.sourceFile.files?.[0];
      if (kind === 'camera') source = await CameraSource.open();
      else if (kind === 'file') {
        if (file === undefined) return this.#status('choose a video or image file first', true);
        source = await FileSource.open(file);
      } else source = new SyntheticSource();
    } catch (err: unknown) {
      return this.#status(`cannot open the source: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    const window = clampInt(this.#el.windowInput, 1, 32);
    // Named here rather than by the bridge, so that messages about it can be told from late ones
    // about an activity it replaced.
    const session = `browser-${Math.random().toString(16).slice(2, 10)}`;
    const message = { type: 'source', model, window, publish: session } as const;
    if (!this.#connection.send(this.#el.privateInput.checked ? { ...message, private: true } : message)) {
      source.close();
      return this.#status('not connected to the bridge', true);
    }
    this.#setMode({ kind: 'starting', source, session, window, fps: clampInt(this.#el.fpsInput, 1, 30) });
    this.#status(`starting ${model}…`);
  }

  /** Follows the chosen published stream. */
  watch(): void {
    const session = this.#el.sessionSelect.value;
    if (session === '') return this.#status('no published stream to watch', true);
    this.#leave();
    if (this.#connection.send({ type: 'watch', session })) this.#setMode({ kind: 'watch', session });
  }

  stop(): void {
    if (this.#mode.kind === 'source') this.#mode.streamer.stop();
    this.#connection.send({ type: 'stop' });
  }

  /** Shows the timing breakdown of the frame on the canvas. */
  showDetails(): void {
    showTimings(this.#el.timingPanel, this.#shown?.result, this.#shown?.roundTripMs);
  }

  /** Leaves the current activity locally (the bridge replaces it when the next one starts). */
  #leave(): void {
    this.#setMode({ kind: 'idle' });
  }

  #setMode(mode: Mode): void {
    const old = this.#mode;
    if (old.kind === 'source') old.streamer.close();
    if ((old.kind === 'source' || old.kind === 'starting') && (mode.kind !== 'source' || mode.source !== old.source)) old.source.close();
    this.#mode = mode;
    this.#watchLatest = undefined;
    this.#frameDrops = { bridge: 0, server: 0 };
    if (mode.kind !== old.kind) this.#stats.reset();
    this.#hook.mode = mode.kind;
    this.#hook.session = mode.kind === 'idle' ? '' : mode.session;
    this.#el.stopButton.disabled = mode.kind === 'idle';
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

  #onControl(message: ServerControlMessage): void {
    switch (message.type) {
      case 'hello':
        return;
      case 'watching':
        return this.#status(`watching ${message.session}`);
      case 'source-started': {
        const mode = this.#mode;
        if (mode.kind !== 'starting' || mode.session !== message.session) return;
        const streamer = new SourceStreamer(this.#connection, mode.source, { fps: mode.fps, window: mode.window });
        this.#setMode({ kind: 'source', source: mode.source, streamer, session: message.session });
        streamer.start();
        return this.#status(`sending to ${message.model}, published as ${message.session}`);
      }
      case 'ended':
        // An activity this viewer replaced reports `replaced` after its successor has begun.
        if (message.reason === 'replaced' || this.#mode.kind === 'idle' || this.#mode.session !== message.session) return;
        this.#setMode({ kind: 'idle' });
        return this.#status(
          `${message.activity} ${message.session} ${message.reason}: ${message.counters.results} results; dropped ${message.counters.framesDropped} frames and ${message.counters.resultsDropped} results in the bridge, ${message.counters.framesDroppedByServer} frames in the server`,
        );
      case 'error':
        return this.#onError(message);
    }
  }

  #onError(message: ErrorMessage): void {
    this.#hook.errors++;
    this.#hook.lastError = message.code;
    this.#status(`${message.code}: ${message.message}`, true);
    // A source that fails to start gets no `ended`: it never started. Nor does a message the
    // bridge refuses outright, which starts nothing.
    const refused = message.code === 'UNAUTHENTICATED' || message.code === 'PERMISSION_DENIED' || message.code === 'TOO_MANY_SOURCES';
    if (this.#mode.kind === 'starting' || (refused && message.grpcCode === undefined)) this.#setMode({ kind: 'idle' });
  }

  #onResult(header: ResultHeader, image: Uint8Array): void {
    const now = performance.now();
    const result = readResult(header.response);
    this.#hook.results++;
    const newlyDropped = header.counters.resultsDropped - this.#bridgeDropped;
    this.#bridgeDropped = header.counters.resultsDropped;
    if (newlyDropped > 0) {
      this.#stats.drop(now, newlyDropped);
      this.#hook.dropped += newlyDropped;
    }
    const mode = this.#mode;
    if (header.activity === 'source' && mode.kind === 'source') {
      this.#frameDrops = { bridge: header.counters.framesDropped, server: header.counters.framesDroppedByServer };
      const sent = mode.streamer.take(Number(result.id));
      this.#hook.framesSent = mode.streamer.framesSent;
      if (result.kind === 'dropped') return this.#dropped(now);
      if (sent === undefined) return;
      const roundTripMs = now - sent.sentAt;
      this.#inOrder(
        result,
        (mask) => this.#show(result, sent.bitmap, sent.bitmap.width, sent.bitmap.height, roundTripMs, now, undefined, mask),
        () => sent.bitmap.close(),
      );
      return;
    }
    if (header.activity === 'watch' && mode.kind === 'watch') {
      if (result.kind === 'dropped') return this.#dropped(now);
      this.#watchLatest = { header, image, result };
      if (!this.#decoding) void this.#drawWatched();
    }
  }

  /**
   * Draws source results in the order they arrive although a mask takes a moment to decode: a
   * result with one, and every result after it, waits its turn. Masks decode side by side.
   * `release` frees the frame once it is drawn, or skipped because the activity changed.
   */
  #inOrder(result: ViewResult, draw: (mask: ImageBitmap | undefined) => void, release: () => void): void {
    const segmentation = result.prediction?.segmentation;
    if (this.#queued === 0 && (segmentation === undefined || segmentation.maskPng.length === 0)) {
      draw(undefined);
      release();
      return;
    }
    const mode = this.#mode;
    const decoded = this.#decodeMask(segmentation);
    this.#queued++;
    this.#drawQueue = this.#drawQueue.then(async () => {
      const mask = await decoded;
      try {
        if (this.#mode === mode) draw(mask);
      } catch (err: unknown) {
        this.#status(`cannot draw a frame: ${err instanceof Error ? err.message : String(err)}`, true);
      } finally {
        mask?.close();
        release();
        this.#queued--;
      }
    });
  }

  /** The decoded mask, or undefined (and a status line) when the browser cannot decode it: the frame is drawn without. */
  async #decodeMask(segmentation: ViewSegmentation | undefined): Promise<ImageBitmap | undefined> {
    try {
      return await decodeMask(segmentation);
    } catch (err: unknown) {
      this.#status(`cannot decode a segmentation mask: ${err instanceof Error ? err.message : String(err)}`, true);
      return undefined;
    }
  }

  #dropped(now: number): void {
    this.#hook.dropped++;
    this.#stats.drop(now);
  }

  /** Decodes and draws the newest watched result; results that arrive meanwhile replace it. */
  async #drawWatched(): Promise<void> {
    this.#decoding = true;
    try {
      for (let item = this.#watchLatest; item !== undefined; item = this.#watchLatest) {
        this.#watchLatest = undefined;
        const { header, image, result } = item;
        const latencyMs = result.timings.totalUs / 1000;
        const mask = await this.#decodeMask(result.prediction?.segmentation);
        try {
          if (header.hasImage) {
            const bitmap = await createImageBitmap(new Blob([image.slice()], { type: 'image/jpeg' }));
            this.#show(result, bitmap, bitmap.width, bitmap.height, undefined, performance.now(), latencyMs, mask);
            bitmap.close();
          } else {
            const blank = new OffscreenCanvas(result.prediction?.imageWidth || 640, result.prediction?.imageHeight || 360);
            this.#show(result, blank, blank.width, blank.height, undefined, performance.now(), latencyMs, mask);
          }
        } finally {
          mask?.close();
        }
      }
    } catch (err: unknown) {
      this.#status(`cannot draw a watched frame: ${err instanceof Error ? err.message : String(err)}`, true);
    } finally {
      this.#decoding = false;
    }
  }

  #show(result: ViewResult, image: CanvasImageSource, width: number, height: number, roundTripMs: number | undefined, now: number, serverMs?: number, mask?: ImageBitmap): void {
    const painted = paintFrame(this.#el.canvas, image, width, height, result, mask);
    this.#shown = { result, roundTripMs };
    this.#el.canvas.dataset['detections'] = String(painted.detections);
    if (result.kind === 'error') {
      this.#hook.errors++;
      this.#hook.lastError = `item error ${result.error?.code ?? ''}`;
    } else {
      this.#hook.predictions++;
      this.#stats.prediction(now, roundTripMs ?? serverMs ?? 0);
    }
    this.#hook.lastDetections = painted.detections;
    this.#hook.maxDetections = Math.max(this.#hook.maxDetections, painted.detections);
    this.#hook.lastPoints = painted.points;
    if (painted.mask) this.#hook.masks++;
    const p = result.prediction;
    const shares = p?.segmentation?.classes ?? [];
    const segments = p?.segmentation === undefined ? '' : ` · ${shares.length} classes in the mask`;
    this.#el.caption.textContent = `frame ${result.id} · ${result.model} · ${painted.detections} detections · ${painted.points} peaks${segments} · server ${(result.timings.totalUs / 1000).toFixed(0)} ms${roundTripMs === undefined ? '' : ` · round trip ${roundTripMs.toFixed(0)} ms`}`;
    // A model answers with top-k classes or with a mask's class shares, not both.
    const lines = [
      ...(p?.classes ?? []).map((c) => `${c.label} ${(c.score * 100).toFixed(1)}%`),
      ...shares.map((c) => `${c.label} ${(c.share * 100).toFixed(1)}% of the image`),
    ];
    this.#el.classes.replaceChildren(
      ...lines.slice(0, 5).map((text) => {
        const li = document.createElement('li');
        li.textContent = text;
        return li;
      }),
    );
    this.#el.texts.replaceChildren(
      ...(p?.detections ?? [])
        .map((d) => (d.text !== '' ? d.text : `${d.label || 'region'} ${d.score.toFixed(2)}`))
        .slice(0, 20)
        .map((text) => {
          const li = document.createElement('li');
          li.textContent = text;
          return li;
        }),
    );
  }

  #sample(): void {
    if (this.#mode.kind !== 'source' && this.#mode.kind !== 'watch') return;
    const now = performance.now();
    const sample = this.#stats.sample(now);
    this.#chart.add(Date.now(), sample);
    this.#hook.chartLength = this.#chart.length;
    const latencyName = this.#mode.kind === 'source' ? 'round trip' : 'server total';
    // A source's frames can be dropped in two places: the bridge keeps only the freshest unsent one, the server its window.
    const where = this.#mode.kind === 'source' ? ` (so far ${this.#frameDrops.bridge} by the bridge, ${this.#frameDrops.server} by the server)` : '';
    this.#el.statsLine.textContent = `${sample.fps.toFixed(1)} FPS · ${latencyName} p50 ${sample.p50.toFixed(0)} ms, p99 ${sample.p99.toFixed(0)} ms · ${sample.dropsPerSecond.toFixed(1)} drops/s${where}`;
  }
}
