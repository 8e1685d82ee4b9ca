/**
 * What each result does to the page: drawn on the canvas, written in the side panel, counted in
 * the chart, the stats line and the test hook. One activity's results at a time: `reset` when the
 * viewer's mode changes.
 */
import type { ResultHeader } from '../protocol/messages.js';
import { LiveStats } from './live-stats.js';
import { paintFrame } from './overlay-painter.js';
import { type ViewResult, readResult } from './read-result.js';
import { ResultDrawer } from './result-drawer.js';
import { type ResultPanelElements, fillResultPanel } from './result-panel.js';
import { StatsChart } from './stats-chart.js';
import type { ViewerTestHook } from './test-hook.js';
import { showTimings } from './timing-panel.js';
import type { ViewerMode } from './viewer-mode.js';

/** The page's elements the results are shown in. */
export interface ResultViewElements extends ResultPanelElements {
  readonly canvas: HTMLCanvasElement;
  readonly timingPanel: HTMLElement;
  readonly chart: HTMLElement;
  readonly statsLine: HTMLElement;
}

/** What the view asks of the viewer. */
export interface ResultViewHandlers {
  /** The viewer's mode now: a result is drawn only if it belongs to it. */
  mode(): ViewerMode;
  /** Says on the status line what could not be drawn. */
  problem(text: string): void;
  /** The current activity's first frame has just been drawn. */
  firstFrame(): void;
}

/** Shown result: the one the timing panel describes when the frame is clicked. */
interface Shown {
  readonly result: ViewResult;
  readonly roundTripMs: number | undefined;
}

const SAMPLE_EVERY_MS = 500;

/** The results of the viewer's activity, on the page. */
export class ResultView {
  readonly #el: ResultViewElements;
  readonly #hook: ViewerTestHook;
  readonly #handlers: ResultViewHandlers;
  readonly #stats = new LiveStats();
  readonly #chart: StatsChart;
  #shown: Shown | undefined;
  #bridgeDropped = 0;
  /** Frames of the current source dropped so far, as the bridge last counted them. */
  #frameDrops = { bridge: 0, server: 0 };
  #framesShown = 0;
  readonly #drawer = new ResultDrawer({
    show: (result, image, width, height, now, timing, mask) => this.#show(result, image, width, height, now, timing, mask),
    problem: (text) => this.#handlers.problem(text),
  });

  /** Draws into `elements`, counts in `hook`, and samples the live numbers every half second. */
  constructor(elements: ResultViewElements, hook: ViewerTestHook, handlers: ResultViewHandlers) {
    this.#el = elements;
    this.#hook = hook;
    this.#handlers = handlers;
    this.#chart = new StatsChart(elements.chart);
    setInterval(() => this.#sample(), SAMPLE_EVERY_MS);
  }

  /** Frames drawn since the current activity began. */
  get framesShown(): number {
    return this.#framesShown;
  }

  /** The viewer's mode changed from one of kind `from` to one of kind `to`: the old one's results are not drawn. */
  reset(from: ViewerMode['kind'], to: ViewerMode['kind']): void {
    this.#drawer.reset();
    this.#frameDrops = { bridge: 0, server: 0 };
    if (to !== from) this.#stats.reset();
    // A source that has just started is the one that was starting: its first frames are still to come.
    if (to !== 'source') this.#framesShown = 0;
  }

  /** Shows the timing breakdown of the frame on the canvas. */
  showDetails(): void {
    showTimings(this.#el.timingPanel, this.#shown?.result, this.#shown?.roundTripMs);
  }

  /** A result from the bridge, with the watched item's picture if it has one. */
  result(header: ResultHeader, image: Uint8Array): void {
    const now = performance.now();
    const result = readResult(header.response);
    this.#hook.results++;
    const newlyDropped = header.counters.resultsDropped - this.#bridgeDropped;
    this.#bridgeDropped = header.counters.resultsDropped;
    if (newlyDropped > 0) {
      this.#stats.drop(now, newlyDropped);
      this.#hook.dropped += newlyDropped;
    }
    const mode = this.#handlers.mode();
    if (header.activity === 'source' && mode.kind === 'source') {
      this.#frameDrops = { bridge: header.counters.framesDropped, server: header.counters.framesDroppedByServer };
      const sent = mode.streamer.take(Number(result.id));
      this.#hook.framesSent = mode.streamer.framesSent;
      if (result.kind === 'dropped') return this.#dropped(now);
      if (sent === undefined) return;
      this.#drawer.source(result, sent.bitmap, now, now - sent.sentAt, () => this.#handlers.mode() === mode, () => sent.bitmap.close());
      return;
    }
    if (header.activity === 'watch' && mode.kind === 'watch') {
      if (result.kind === 'dropped') return this.#dropped(now);
      this.#drawer.watched(header, image, result);
    }
  }

  #dropped(now: number): void {
    this.#hook.dropped++;
    this.#stats.drop(now);
  }

  #show(result: ViewResult, image: CanvasImageSource, width: number, height: number, now: number, timing: { roundTripMs?: number; serverMs?: number }, mask: ImageBitmap | undefined): void {
    const { roundTripMs, serverMs } = timing;
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
    this.#hook.lastTexts = (result.prediction?.detections ?? []).filter((d) => d.text !== '').map((d) => ({ text: d.text, label: d.label }));
    if (painted.mask) this.#hook.masks++;
    fillResultPanel(this.#el, result, painted, roundTripMs);
    if (this.#framesShown++ === 0) this.#handlers.firstFrame();
  }

  #sample(): void {
    const kind = this.#handlers.mode().kind;
    if (kind !== 'source' && kind !== 'watch') return;
    const now = performance.now();
    const sample = this.#stats.sample(now);
    this.#chart.add(Date.now(), sample);
    this.#hook.chartLength = this.#chart.length;
    const latencyName = kind === 'source' ? 'round trip' : 'server total';
    // A source's frames can be dropped in two places: the bridge keeps only the freshest unsent one, the server its window.
    const where = kind === 'source' ? ` (so far ${this.#frameDrops.bridge} by the bridge, ${this.#frameDrops.server} by the server)` : '';
    this.#el.statsLine.textContent = `${sample.fps.toFixed(1)} FPS · ${latencyName} p50 ${sample.p50.toFixed(0)} ms, p99 ${sample.p99.toFixed(0)} ms · ${sample.dropsPerSecond.toFixed(1)} drops/s${where}`;
  }
}
