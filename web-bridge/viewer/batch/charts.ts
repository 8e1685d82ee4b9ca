/**
 * The page's uPlot charts: a curve in the unit square (ROC, precision/recall) with a dot where
 * the threshold puts the classifier, and the histogram of the positive class's score for each
 * true class, on a linear or a log scale, with the threshold as a vertical line. Moving the
 * threshold only redraws the dot and the line.
 */
import uPlot from 'uplot';

const WIDTH = 340;
const HEIGHT = 260;
const CURVE = '#1565c0';
const MARKER = '#e65100';
/** One colour per true class, in the order the classes are given. */
const CLASS_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
/** The report's histogram has 20 bins over [0, 1]; so has this one. */
export const HISTOGRAM_BINS = 20;

function titled(container: HTMLElement, title: string): { heading: HTMLElement; plotBox: HTMLElement } {
  const heading = document.createElement('h3');
  heading.textContent = title;
  const plotBox = document.createElement('div');
  container.replaceChildren(heading, plotBox);
  return { heading, plotBox };
}

/** A curve through points of the unit square, x never decreasing (ROC: FPR, TPR; PR: recall, precision). */
export class UnitCurveChart {
  readonly #heading: HTMLElement;
  readonly #plot: uPlot;
  #marker: readonly [number, number] | undefined;
  #points = 0;

  constructor(container: HTMLElement, title: string, xLabel: string, yLabel: string, options: { readonly diagonal: boolean }) {
    const { heading, plotBox } = titled(container, title);
    this.#heading = heading;
    const series: uPlot.Series[] = [{ label: xLabel }, { label: yLabel, stroke: CURVE, width: 2, points: { show: false } }];
    if (options.diagonal) series.push({ label: 'chance', stroke: '#aaa', dash: [4, 4], width: 1, points: { show: false } });
    this.#plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [{ label: xLabel }, { label: yLabel }],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        series,
        hooks: { draw: [(u) => this.#drawMarker(u)] },
      },
      options.diagonal ? [[], [], []] : [[], []],
      plotBox,
    );
  }

  /** Points drawn. */
  get points(): number {
    return this.#points;
  }

  setTitle(title: string): void {
    this.#heading.textContent = title;
  }

  setPoints(points: readonly (readonly [number, number])[]): void {
    const x = points.map((p) => p[0]);
    const data: uPlot.AlignedData = this.#plot.series.length === 3 ? [x, points.map((p) => p[1]), x] : [x, points.map((p) => p[1])];
    this.#points = points.length;
    this.#plot.setData(data);
  }

  /** Where the threshold puts the classifier; undefined hides the dot. */
  setMarker(marker: readonly [number, number] | undefined): void {
    this.#marker = marker;
    this.#plot.redraw(false, false);
  }

  #drawMarker(u: uPlot): void {
    const m = this.#marker;
    if (m === undefined || !Number.isFinite(m[0]) || !Number.isFinite(m[1])) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = MARKER;
    ctx.beginPath();
    ctx.arc(u.valToPos(m[0], 'x', true), u.valToPos(m[1], 'y', true), 5 * devicePixelRatio, 0, 2 * Math.PI);
    ctx.fill();
    ctx.restore();
  }
}

/** Scores of one true class. */
export interface ScoreSeries {
  /** The true class. */
  readonly label: string;
  readonly scores: readonly number[];
}

/**
 * A class's colour as `#rrggbb`: its own name when that is a CSS colour (the `red` class of the
 * colours dataset is drawn red), else the palette's `i`-th.
 */
function classColour(label: string, i: number): string {
  const fallback = CLASS_COLOURS[i % CLASS_COLOURS.length] as string;
  if (!/^[a-z]+$/i.test(label) || !CSS.supports('color', label)) return fallback;
  const ctx = document.createElement('canvas').getContext('2d');
  if (ctx === null) return fallback;
  // The canvas reads the name back as #rrggbb.
  ctx.fillStyle = label;
  return /^#[0-9a-f]{6}$/i.test(ctx.fillStyle) ? ctx.fillStyle : fallback;
}

/** Counts of `scores` in `bins` equal bins over [0, 1]; scores outside count in the first or last bin. */
export function histogramCounts(scores: readonly number[], bins = HISTOGRAM_BINS): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const s of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor(s * bins)))]++;
  return counts;
}

/** The positive class's score, one translucent bar series per true class. */
export class ScoreHistogram {
  readonly #container: HTMLElement;
  readonly #title: string;
  #plot: uPlot | undefined;
  /** The true classes of the series, in order. */
  #names: string[] = [];
  #series: readonly ScoreSeries[] = [];
  #log = false;
  #threshold: number | undefined;
  #counted = 0;

  constructor(container: HTMLElement, title: string) {
    this.#container = container;
    this.#title = title;
  }

  /** Scores counted in the bars. */
  get counted(): number {
    return this.#counted;
  }

  get log(): boolean {
    return this.#log;
  }

  setSeries(series: readonly ScoreSeries[], title = this.#title): void {
    this.#series = series;
    const names = series.map((s) => s.label);
    if (this.#plot === undefined || names.join('\0') !== this.#names.join('\0')) this.#build(names, title);
    else (this.#container.querySelector('h3') as HTMLElement).textContent = title;
    this.#setData();
  }

  /** Counts on a log scale (empty bins are then not drawn). */
  setLog(log: boolean): void {
    if (log === this.#log) return;
    this.#log = log;
    this.#build(this.#names, this.#container.querySelector('h3')?.textContent ?? this.#title);
    this.#setData();
  }

  setThreshold(threshold: number | undefined): void {
    this.#threshold = threshold;
    this.#plot?.redraw(false, false);
  }

  #build(names: string[], title: string): void {
    this.#plot?.destroy();
    this.#names = names;
    const { plotBox } = titled(this.#container, title);
    const bars = uPlot.paths.bars?.({ size: [0.9, Infinity], align: 0 });
    this.#plot = new uPlot(
      {
        width: WIDTH,
        height: HEIGHT,
        scales: { x: { time: false, range: [0, 1] }, y: this.#log ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{ label: 'score' }, { label: this.#log ? 'images (log)' : 'images' }],
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'score', value: (_u, v) => (v === null ? '-' : `${(v - 0.5 / HISTOGRAM_BINS).toFixed(2)}-${(v + 0.5 / HISTOGRAM_BINS).toFixed(2)}`) },
          ...names.map((label, i) => {
            const colour = classColour(label, i);
            return { label: `true ${label}`, stroke: colour, fill: `${colour}77`, width: 1, ...(bars === undefined ? {} : { paths: bars }), points: { show: false } };
          }),
        ],
        hooks: { draw: [(u) => this.#drawThreshold(u)] },
      },
      [[], ...names.map(() => [])],
      plotBox,
    );
  }

  #setData(): void {
    const x = Array.from({ length: HISTOGRAM_BINS }, (_, b) => (b + 0.5) / HISTOGRAM_BINS);
    // A log scale has no zero: an empty bin is a gap.
    const columns = this.#series.map((s) => histogramCounts(s.scores).map((n) => (this.#log && n === 0 ? null : n)));
    this.#counted = this.#series.reduce((sum, s) => sum + s.scores.length, 0);
    this.#plot?.setData([x, ...columns]);
  }

  #drawThreshold(u: uPlot): void {
    const t = this.#threshold;
    if (t === undefined) return;
    const x = u.valToPos(Math.min(1, Math.max(0, t)), 'x', true);
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = MARKER;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }
}
