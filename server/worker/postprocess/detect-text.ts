import { SluiceError } from '../../errors.js';
import type { Detection, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { TextDetectionPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import { toOriginal, type ImageGeometry } from '../preprocess/image-geometry.js';
import {
  convexHullOfSorted,
  minAreaRect,
  orderCornersClockwise,
  rectCorners,
  type RotatedRect,
} from './geometry.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';
import { sortReadingOrder } from './reading-order.js';

const DEFAULT_THRESHOLD = 0.3;
const DEFAULT_BOX_THRESHOLD = 0.6;
const DEFAULT_UNCLIP_RATIO = 1.5;
const DEFAULT_MIN_SIZE = 3;
const DEFAULT_MAX_CANDIDATES = 1000;

/** Where the probability map sits: the model input it covers and the original image. */
export interface TextDetectionContext {
  readonly geometry?: ImageGeometry | undefined;
  /** Model input size; the map covers it, so a map pixel is `inputWidth / W` input pixels. */
  readonly inputWidth?: number | undefined;
  readonly inputHeight?: number | undefined;
}

interface Candidate {
  readonly rect: RotatedRect;
  readonly score: number;
}

/**
 * DB (differentiable binarisation) text detection, as PP-OCR's `DBPostProcess`, on a `[1, 1, H, W]`
 * probability map:
 *
 * 1. pixels above `threshold` form regions (8-connected);
 * 2. a region's score is the mean probability over its pixels (PP-OCR's exact "slow" mode) and
 *    must reach `box_threshold`;
 * 3. the region's convex hull gives its minimum-area rotated rectangle; regions whose shorter
 *    side is under `min_size` map pixels are noise;
 * 4. DB trains on text shrunk by a margin, so the rectangle is grown back on every side by
 *    `area * unclip_ratio / perimeter`, and dropped if its shorter side is then under
 *    `min_size + 2`;
 * 5. corners go to the original image (clamped to it), clockwise from the top-left.
 *
 * Regions are unions of pixel squares: pixel (x, y) covers `[x, x + 1) x [y, y + 1)`, so a region
 * 10 pixels wide measures 10, not 9 as between pixel centres. At most `max_candidates` boxes
 * (the highest scores) are returned, in reading order.
 */
export function detectText(
  tensor: OutputTensor,
  options: TextDetectionPostprocessor,
  context: TextDetectionContext,
): Partial<Prediction> {
  const dims = checkItemTensor(tensor, 4, 'text_detection expects [1, 1, H, W]');
  if (dims[1] !== 1) {
    throw new SluiceError('INTERNAL', `text_detection expects [1, 1, H, W], output has [${dims.join(', ')}]`);
  }
  const height = dims[2];
  const width = dims[3];
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const boxThreshold = options.boxThreshold ?? DEFAULT_BOX_THRESHOLD;
  const unclipRatio = options.unclipRatio ?? DEFAULT_UNCLIP_RATIO;
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const maxCandidates = options.maxCandidates > 0 ? options.maxCandidates : DEFAULT_MAX_CANDIDATES;

  const candidates = findCandidates(tensor.data, width, height, threshold, boxThreshold, unclipRatio, minSize);
  if (candidates.length > maxCandidates) {
    candidates.sort((a, b) => b.score - a.score);
    candidates.length = maxCandidates;
  }

  const toInputX = (context.inputWidth ?? width) / width;
  const toInputY = (context.inputHeight ?? height) / height;
  const g = context.geometry;
  const limitX = g ? g.originalWidth : width * toInputX;
  const limitY = g ? g.originalHeight : height * toInputY;
  const detections: Detection[] = candidates.map(({ rect, score }) => {
    const corners = orderCornersClockwise(rectCorners(rect));
    const polygon = [];
    let xMin = Infinity;
    let yMin = Infinity;
    let xMax = -Infinity;
    let yMax = -Infinity;
    for (let i = 0; i < 4; i++) {
      const mx = corners[2 * i] * toInputX;
      const my = corners[2 * i + 1] * toInputY;
      const p = g ? toOriginal(mx, my, g) : { x: mx, y: my };
      const x = clamp(p.x, 0, limitX);
      const y = clamp(p.y, 0, limitY);
      polygon.push({ x, y });
      xMin = Math.min(xMin, x);
      yMin = Math.min(yMin, y);
      xMax = Math.max(xMax, x);
      yMax = Math.max(yMax, y);
    }
    return { xMin, yMin, xMax, yMax, polygon, score, label: 'text', text: '', textScore: 0, classIndex: 0 };
  });
  return { detections: sortReadingOrder(detections) };
}

/**
 * Buffers sized to the largest map seen, kept for the life of the worker thread: maps arrive at
 * frame rate and would otherwise churn megabytes per call. Safe because a worker runs one
 * synchronous call at a time.
 */
const scratch = {
  open: new Uint8Array(0),
  stack: new Int32Array(0),
  /** Per column of the current region: topmost and bottommost row, or (height, -1) if empty. */
  top: new Int32Array(0),
  bottom: new Int32Array(0),
  points: new Float64Array(0),
  hull: new Float64Array(0),
};

function prepareScratch(width: number, height: number): void {
  const pixels = width * height;
  if (scratch.open.length < pixels) scratch.open = new Uint8Array(pixels);
  // Runs are pushed once each, as (row, first, last); a row holds at most ceil(width / 2).
  const stackSize = 3 * height * Math.ceil(width / 2);
  if (scratch.stack.length < stackSize) scratch.stack = new Int32Array(stackSize);
  if (scratch.top.length < width) {
    scratch.top = new Int32Array(width);
    scratch.bottom = new Int32Array(width);
    // Two hull points per column edge; the hull needs one slot more than its input.
    scratch.points = new Float64Array(4 * (width + 1));
    scratch.hull = new Float64Array(4 * (width + 1) + 2);
  }
  scratch.top.fill(height, 0, width);
  scratch.bottom.fill(-1, 0, width);
}

function findCandidates(
  prob: Float32Array,
  width: number,
  height: number,
  threshold: number,
  boxThreshold: number,
  unclipRatio: number,
  minSize: number,
): Candidate[] {
  prepareScratch(width, height);
  const { open, stack, top, bottom, points, hull } = scratch;
  const candidates: Candidate[] = [];
  const pixels = width * height;
  // 1 marks a text pixel not yet in a region: one byte per test in the fill instead of a float
  // compare plus a visited flag.
  for (let i = 0; i < pixels; i++) open[i] = prob[i] > threshold ? 1 : 0;

  for (let seed = 0; seed < pixels; seed++) {
    if (open[seed] === 0) continue;
    fillRegion(prob, open, stack, top, bottom, width, height, seed);
    const { sum, count, minX, maxX } = region;

    // Scoring first is cheap and discards most noise before any geometry.
    const score = sum / count;
    const n = score >= boxThreshold ? regionHullPoints(top, bottom, minX, maxX, points) : 0;
    top.fill(height, minX, maxX + 1);
    bottom.fill(-1, minX, maxX + 1);
    if (n === 0) continue;

    const rect = minAreaRect(hull, convexHullOfSorted(points, n, hull));
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const grown = unclip(rect, unclipRatio);
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    candidates.push({ rect: grown, score });
  }
  return candidates;
}

/** What `fillRegion` measured; reused, as regions can number in the thousands on noisy maps. */
const region = { sum: 0, count: 0, minX: 0, maxX: 0 };

/**
 * Takes the 8-connected region of open pixels around `seed` out of `open`, run by run: each
 * horizontal run is closed when found and pushed once, then the rows above and below are searched
 * for open runs touching it (diagonals included, hence one pixel beyond each end). Spans keep the
 * work per pixel to a few byte reads, and the explicit stack copes with regions as large as the
 * map. Records per column the region's top and bottom rows, and its sum, count and column range.
 */
function fillRegion(
  prob: Float32Array,
  open: Uint8Array,
  stack: Int32Array,
  top: Int32Array,
  bottom: Int32Array,
  width: number,
  height: number,
  seed: number,
): void {
  let sum = 0;
  let count = 0;
  let minX = width;
  let maxX = -1;
  let depth = 0;

  const seedY = (seed / width) | 0;
  let last = seed - seedY * width;
  const rowStart = seedY * width;
  // Seeds come in row-major order, so nothing left of the seed is open.
  while (last + 1 < width && open[rowStart + last + 1] === 1) last++;
  open.fill(0, seed, rowStart + last + 1);
  stack[depth++] = seedY;
  stack[depth++] = seed - rowStart;
  stack[depth++] = last;

  while (depth > 0) {
    const x1 = stack[--depth];
    const x0 = stack[--depth];
    const y = stack[--depth];
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      sum += prob[row + x];
      if (y < top[x]) top[x] = y;
      if (y > bottom[x]) bottom[x] = y;
    }
    count += x1 - x0 + 1;
    if (x0 < minX) minX = x0;
    if (x1 > maxX) maxX = x1;

    const from = x0 > 0 ? x0 - 1 : 0;
    const to = x1 < width - 1 ? x1 + 1 : x1;
    for (let ny = y - 1; ny <= y + 1; ny += 2) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      for (let x = from; x <= to; x++) {
        if (open[nrow + x] === 0) continue;
        let a = x;
        while (a > 0 && open[nrow + a - 1] === 1) a--;
        let b = x;
        while (b + 1 < width && open[nrow + b + 1] === 1) b++;
        open.fill(0, nrow + a, nrow + b + 1);
        stack[depth++] = ny;
        stack[depth++] = a;
        stack[depth++] = b;
        x = b + 1;
      }
    }
  }
  region.sum = sum;
  region.count = count;
  region.minX = minX;
  region.maxX = maxX;
}

/**
 * Writes the points whose convex hull is the hull of a region's pixel squares, sorted by (x, y),
 * and returns their number. A region is connected, so every column from `minX` to `maxX` holds
 * some of it; only each column edge's highest and lowest corner can be on the hull, and listing
 * them edge by edge yields them already sorted.
 */
function regionHullPoints(
  top: Int32Array,
  bottom: Int32Array,
  minX: number,
  maxX: number,
  points: Float64Array,
): number {
  let n = 0;
  for (let edge = minX; edge <= maxX + 1; edge++) {
    const left = edge - 1 >= minX ? edge - 1 : edge;
    const right = edge <= maxX ? edge : edge - 1;
    points[n++] = edge;
    points[n++] = Math.min(top[left], top[right]);
    points[n++] = edge;
    points[n++] = Math.max(bottom[left], bottom[right]) + 1;
  }
  return n >> 1;
}

/** DB's unclip for a rectangle: offset every side outwards by `area * ratio / perimeter`. */
function unclip(rect: RotatedRect, ratio: number): RotatedRect {
  const distance = (rect.width * rect.height * ratio) / (2 * (rect.width + rect.height));
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
