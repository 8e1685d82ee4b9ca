import type { Keypoint, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { PeakPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import { toOriginal, type ImageGeometry } from '../preprocess/image-geometry.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';

const DEFAULT_THRESHOLD = 0.5;
const DEFAULT_RADIUS = 3;
const DEFAULT_MAX_PEAKS = 100;

/** Where the heatmap sits: the model input it was computed from and the original image. */
export interface PeakContext {
  readonly labels: readonly string[];
  readonly geometry?: ImageGeometry | undefined;
  /** Model input size; the heatmap covers it, so its cells are `inputWidth / W` pixels wide. */
  readonly inputWidth?: number | undefined;
  readonly inputHeight?: number | undefined;
}

/**
 * Peaks of a `[1, C, H, W]` heatmap. A cell is a peak when its value is at least `threshold` and
 * is the maximum of the `(2 * radius + 1)^2` window around it, which also suppresses any lower
 * peak within `radius`. Among equal values in a window the first cell in row-major order wins,
 * so a plateau that fits in the window gives exactly one peak, whatever its shape. Each channel
 * keeps its `max_peaks` highest peaks, highest first (ties in row-major order); channels follow
 * each other in order.
 *
 * A peak is reported at its cell's centre: cell (i, j) covers `[i, i + 1) x [j, j + 1)` of the
 * heatmap, so the point is `(i + 0.5, j + 0.5)` scaled by model-input size over heatmap size,
 * then mapped to the original image with the geometry (model-input pixels without one).
 */
export function findPeaks(tensor: OutputTensor, options: PeakPostprocessor, context: PeakContext): Partial<Prediction> {
  const [, channels, height, width] = checkItemTensor(tensor, 4, 'peaks expects [1, channels, H, W]') as [
    number,
    number,
    number,
    number,
  ];
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const radius = options.radius ?? DEFAULT_RADIUS;
  const maxPeaks = options.maxPeaks > 0 ? options.maxPeaks : DEFAULT_MAX_PEAKS;
  const cellX = (context.inputWidth ?? width) / width;
  const cellY = (context.inputHeight ?? height) / height;
  const data = tensor.data;
  const plane = width * height;

  const points: Keypoint[] = [];
  const found: number[] = [];
  for (let c = 0; c < channels; c++) {
    const offset = c * plane;
    found.length = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = offset + y * width + x;
        // Written so that NaN is never a peak.
        if (!(data[i] >= threshold)) continue;
        if (isWindowMax(data, offset, width, height, x, y, radius)) found.push(i);
      }
    }
    found.sort((a, b) => data[b] - data[a] || a - b);
    const label = context.labels[c] ?? String(c);
    for (let n = 0; n < found.length && n < maxPeaks; n++) {
      const i = found[n] - offset;
      const mx = ((i % width) + 0.5) * cellX;
      const my = (Math.floor(i / width) + 0.5) * cellY;
      const p = context.geometry ? toOriginal(mx, my, context.geometry) : { x: mx, y: my };
      points.push({ x: p.x, y: p.y, score: data[found[n]], channel: c, label });
    }
  }
  return { points };
}

/** No neighbour in the window is greater, and no equal neighbour comes earlier in the plane. */
function isWindowMax(
  data: Float32Array,
  offset: number,
  width: number,
  height: number,
  x: number,
  y: number,
  radius: number,
): boolean {
  const v = data[offset + y * width + x];
  const y0 = Math.max(0, y - radius);
  const y1 = Math.min(height - 1, y + radius);
  const x0 = Math.max(0, x - radius);
  const x1 = Math.min(width - 1, x + radius);
  for (let yy = y0; yy <= y1; yy++) {
    const row = offset + yy * width;
    for (let xx = x0; xx <= x1; xx++) {
      const u = data[row + xx];
      if (u > v) return false;
      if (u === v && (yy < y || (yy === y && xx < x))) return false;
    }
  }
  return true;
}
