/**
 * The live uPlot chart: FPS and drops per second on the left axis, latency p50 and p99 (ms) on
 * the right, the last two minutes.
 */
import uPlot from 'uplot';
import type { StatsSample } from './live-stats.js';

const MAX_POINTS = 240;

export class StatsChart {
  readonly #plot: uPlot;
  readonly #data: [number[], number[], number[], number[], number[]] = [[], [], [], [], []];

  constructor(container: HTMLElement) {
    const options: uPlot.Options = {
      width: Math.max(300, container.clientWidth - 16),
      height: 220,
      scales: { x: { time: true }, count: { auto: true }, ms: { auto: true } },
      axes: [{}, { scale: 'count', label: 'per second' }, { scale: 'ms', side: 1, label: 'ms', grid: { show: false } }],
      series: [
        {},
        { label: 'FPS', scale: 'count', stroke: '#1e88e5', width: 2 },
        { label: 'latency p50', scale: 'ms', stroke: '#43a047', width: 2, value: (_u, v) => (v === null ? '-' : `${v.toFixed(0)} ms`) },
        { label: 'latency p99', scale: 'ms', stroke: '#fb8c00', width: 2, value: (_u, v) => (v === null ? '-' : `${v.toFixed(0)} ms`) },
        { label: 'drops/s', scale: 'count', stroke: '#e53935', width: 1, dash: [4, 4] },
      ],
    };
    this.#plot = new uPlot(options, this.#data, container);
    new ResizeObserver(() => this.#plot.setSize({ width: Math.max(300, container.clientWidth - 16), height: 220 })).observe(container);
  }

  /** Points plotted so far (at most two minutes' worth). */
  get length(): number {
    return this.#data[0].length;
  }

  add(atMs: number, sample: StatsSample): void {
    const values = [atMs / 1000, sample.fps, sample.p50, sample.p99, sample.dropsPerSecond];
    this.#data.forEach((column, i) => {
      column.push(values[i] ?? 0);
      if (column.length > MAX_POINTS) column.shift();
    });
    this.#plot.setData(this.#data);
  }
}
