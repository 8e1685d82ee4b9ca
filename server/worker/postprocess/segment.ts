import { SluiceError } from '../../errors.js';
import type { ClassShare, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { SegmentationPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import type { ImageGeometry } from '../preprocess/image-geometry.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';
import { encodePalettePng } from './palette-png.js';

/** A palette PNG holds at most 256 colours, so a mask can tell at most 256 classes apart. */
const MAX_CLASSES = 256;
/**
 * How far a class index may be from an integer. Integer outputs converted to float32 are exact;
 * this forgives a model that computes its indices in floating point (an argmax cast late).
 */
const INDEX_TOLERANCE = 1e-3;

/** Where the class map sits: the model input it was computed from and the original image. */
export interface SegmentContext {
  readonly labels: readonly string[];
  readonly geometry?: ImageGeometry | undefined;
  /** Model input size; the class map covers it, at its own resolution (often a fraction of it). */
  readonly inputWidth?: number | undefined;
  readonly inputHeight?: number | undefined;
}

/**
 * Semantic segmentation of one item. The output is either `[1, C, H, W]` class scores (each
 * cell's class is the highest score, the first on ties; NaN never wins) or `[1, H, W]` /
 * `[1, 1, H, W]` class indices (float32, rounded; a negative or non-integer index is INTERNAL).
 *
 * The mask has the original image's size (the map's own without a geometry): each original
 * pixel's centre is mapped to model-input coordinates, then to the map cell under it, so that
 * letterbox padding is cut away and the mask lines up with the image. It is returned as an 8-bit
 * palette PNG (`encodePalettePng`) whose pixel values are the class indices, with the background
 * class (`background_class`, default 0) transparent. More than 256 classes is INTERNAL.
 *
 * `classes` gives the share of the original image's pixels of each class present, largest first,
 * ties by index; a class without a label is labelled with its index.
 */
export function segment(tensor: OutputTensor, options: SegmentationPostprocessor, context: SegmentContext): Partial<Prediction> {
  const map = classMap(tensor, context.labels.length);
  const background = options.backgroundClass ?? 0;
  const { width, height, pixels, counts } = resample(map, context);

  const total = width * height;
  const classes: ClassShare[] = [];
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) classes.push({ index: i, label: context.labels[i] ?? String(i), share: counts[i] / total });
  }
  classes.sort((a, b) => counts[b.index] - counts[a.index] || a.index - b.index);

  // tRNS lists alphas from entry 0; a background outside the palette has no pixel to hide.
  const alpha = background < map.classes ? new Uint8Array(background + 1).fill(255) : undefined;
  if (alpha !== undefined) alpha[background] = 0;
  const maskPng = encodePalettePng({ width, height, pixels, palette: classPalette(map.classes), alpha });
  return { segmentation: { maskPng, width, height, classes } };
}

/** A class per map cell, and the number of classes the palette needs. */
interface ClassMap {
  readonly width: number;
  readonly height: number;
  readonly cells: Uint8Array;
  readonly classes: number;
}

function classMap(tensor: OutputTensor, labelCount: number): ClassMap {
  const dims = tensor.dims;
  if (dims.length === 4 && dims[1] !== 1) {
    const [, classes, height, width] = checkItemTensor(tensor, 4, 'segmentation expects [1, classes, H, W] scores') as [number, number, number, number];
    tooManyClasses(classes);
    return { width, height, cells: argmax(tensor.data, classes, width * height), classes };
  }
  const what = 'segmentation expects [1, classes, H, W] scores or [1, H, W] class indices';
  const checked = checkItemTensor(tensor, dims.length === 4 ? 4 : 3, what);
  const height = checked[checked.length - 2];
  const width = checked[checked.length - 1];
  const { cells, max } = indices(tensor.data);
  // The labels say how many classes the model has, so the palette stays the same from frame to
  // frame; the indices only lengthen it when they go past the labels.
  return { width, height, cells, classes: Math.min(MAX_CLASSES, Math.max(labelCount, max + 1)) };
}

/** Channel-major scan, so that every read is sequential. */
function argmax(data: Float32Array, classes: number, plane: number): Uint8Array {
  const best = new Float32Array(plane).fill(-Infinity);
  const cells = new Uint8Array(plane);
  for (let c = 0, offset = 0; c < classes; c++, offset += plane) {
    for (let i = 0; i < plane; i++) {
      const v = data[offset + i];
      // Strictly greater: an earlier class keeps a tie, and NaN compares false.
      if (v > best[i]) {
        best[i] = v;
        cells[i] = c;
      }
    }
  }
  return cells;
}

function indices(data: Float32Array): { cells: Uint8Array; max: number } {
  const cells = new Uint8Array(data.length);
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    let index = v | 0;
    if (index !== v) {
      index = Math.round(v);
      // Written so that NaN fails too.
      if (!(index >= 0 && Math.abs(v - index) <= INDEX_TOLERANCE)) {
        throw new SluiceError('INTERNAL', `segmentation: class index ${v} at cell ${i} is not a non-negative integer`);
      }
    } else if (index < 0) {
      throw new SluiceError('INTERNAL', `segmentation: class index ${v} at cell ${i} is negative`);
    }
    if (index > max) {
      tooManyClasses(index + 1);
      max = index;
    }
    cells[i] = index;
  }
  return { cells, max };
}

function tooManyClasses(classes: number): void {
  if (classes > MAX_CLASSES) {
    throw new SluiceError('INTERNAL', `segmentation: ${classes} classes, but a mask holds at most ${MAX_CLASSES}`);
  }
}

/** The mask at the original image's size, and how many of its pixels each class has. */
function resample(map: ClassMap, context: SegmentContext): { width: number; height: number; pixels: Uint8Array; counts: Float64Array } {
  const g = context.geometry;
  // Without a geometry (a tensor input) there is no original image: the mask is the map itself.
  const width = g ? g.originalWidth : map.width;
  const height = g ? g.originalHeight : map.height;
  const columns = g ? cellsAlong(width, map.width, context.inputWidth ?? map.width, g.scaleX, g.padX) : cellsAlong(width, map.width, map.width, 1, 0);
  const rows = g ? cellsAlong(height, map.height, context.inputHeight ?? map.height, g.scaleY, g.padY) : cellsAlong(height, map.height, map.height, 1, 0);

  const cells = map.cells;
  const classes = map.classes;
  const pixels = maskBuffer(width * height);
  const counts = new Float64Array(classes);
  const rowCounts = new Uint32Array(classes);
  for (let y = 0; y < height; y++) {
    const out = y * width;
    // Upsampled maps repeat each row several times: copy it rather than look every pixel up again.
    if (y > 0 && rows[y] === rows[y - 1]) {
      pixels.copyWithin(out, out - width, out);
    } else {
      rowCounts.fill(0);
      const base = rows[y] * map.width;
      for (let x = 0; x < width; x++) {
        const c = cells[base + columns[x]];
        pixels[out + x] = c;
        rowCounts[c]++;
      }
    }
    for (let c = 0; c < classes; c++) counts[c] += rowCounts[c];
  }
  return { width, height, pixels, counts };
}

/**
 * The mask's pixels, kept from one item to the next: it is as large as the image, and a fresh
 * buffer of megabytes costs a page fault per 4 kB on first touch (about 4 ms for 2 MB in a VM).
 * `segment` is synchronous and only reads the mask to encode it, so one buffer per worker thread,
 * as large as the largest image so far, serves every item.
 */
let maskPixels = new Uint8Array(0);

/** `size` bytes of the mask buffer; every one is overwritten by `resample`. */
function maskBuffer(size: number): Uint8Array {
  if (maskPixels.length < size) maskPixels = new Uint8Array(size);
  return maskPixels.subarray(0, size);
}

/**
 * The map cell under the centre of each of `size` original pixels along one axis: the centre goes
 * to model-input coordinates (`* scale + pad`), then to the map, whose `cells` span `input` pixels.
 * Clamped, because rounding in the resize can put an edge pixel's centre a hair outside.
 */
function cellsAlong(size: number, cells: number, input: number, scale: number, pad: number): Int32Array {
  const out = new Int32Array(size);
  const perPixel = cells / input;
  for (let i = 0; i < size; i++) {
    const cell = Math.floor(((i + 0.5) * scale + pad) * perPixel);
    out[i] = cell < 0 ? 0 : cell >= cells ? cells - 1 : cell;
  }
  return out;
}

/**
 * RGB colours of `classes` classes: PASCAL VOC's colour map, in which the bits of the index are
 * spread over the high bits of R, G and B. Every one of the 256 colours differs, neighbouring
 * indices differ in hue, and VOC-style masks and tools use the same colours.
 */
function classPalette(classes: number): Uint8Array {
  const palette = new Uint8Array(classes * 3);
  for (let i = 0; i < classes; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let bit = 7, c = i; c > 0; bit--, c >>= 3) {
      r |= (c & 1) << bit;
      g |= ((c >> 1) & 1) << bit;
      b |= ((c >> 2) & 1) << bit;
    }
    palette.set([r, g, b], i * 3);
  }
  return palette;
}
