import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { Segmentation } from '../../../../gen/ts/sluice/v1/inference_service.js';
import { SegmentationPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';
import { segment, type SegmentContext } from '../../../../server/worker/postprocess/segment.js';
import type { ImageGeometry } from '../../../../server/worker/preprocess/image-geometry.js';
import { readPalettePng } from '../../../helpers/read-palette-png.js';

const DEFAULTS = SegmentationPostprocessor.fromPartial({});
const LABELS = ['background', 'person', 'car', 'padding'];
const isInternal = (err: unknown): boolean => (err as { code?: unknown }).code === 'INTERNAL';

// An 8 x 4 original letterboxed into a 4 x 4 input: scale 0.5, one padding row above and below.
const LETTERBOX: ImageGeometry = { originalWidth: 8, originalHeight: 4, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 1 };
const LETTERBOX_CONTEXT: SegmentContext = { labels: LABELS, geometry: LETTERBOX, inputWidth: 4, inputHeight: 4 };
// Class 3 only in the padding rows, which must not reach the mask.
const LETTERBOX_MAP = [
  [3, 3, 3, 3],
  [0, 1, 1, 2],
  [1, 0, 2, 2],
  [3, 3, 3, 3],
];
// Each map cell of the content covers 2 x 2 original pixels.
const LETTERBOX_MASK = [
  [0, 0, 1, 1, 1, 1, 2, 2],
  [0, 0, 1, 1, 1, 1, 2, 2],
  [1, 1, 0, 0, 2, 2, 2, 2],
  [1, 1, 0, 0, 2, 2, 2, 2],
];

function indexMap(rows: number[][], dims?: number[]): OutputTensor {
  return { data: Float32Array.from(rows.flat()), dims: dims ?? [1, rows.length, rows[0]!.length] };
}

/** One-hot-ish scores of an index map: the class scores 1, the others a fixed lower value. */
function scoreMap(rows: number[][], classes: number): OutputTensor {
  const h = rows.length;
  const w = rows[0]!.length;
  const data = new Float32Array(classes * h * w).fill(-2);
  rows.flat().forEach((c, i) => (data[c * h * w + i] = 1));
  return { data, dims: [1, classes, h, w] };
}

function segmentation(result: ReturnType<typeof segment>): Segmentation {
  assert.ok(result.segmentation !== undefined);
  return result.segmentation;
}

function maskRows(s: Segmentation): number[][] {
  const png = readPalettePng(s.maskPng);
  assert.deepEqual([png.width, png.height], [s.width, s.height]);
  return Array.from({ length: png.height }, (_, y) => [...png.pixels.subarray(y * png.width, (y + 1) * png.width)]);
}

const sharesOf = (s: Segmentation): [number, string, number][] => s.classes.map((c) => [c.index, c.label, c.share]);

test('an index map letterboxed from an 8 x 4 image: mask at the original size, padding cut away', () => {
  const s = segmentation(segment(indexMap(LETTERBOX_MAP), DEFAULTS, LETTERBOX_CONTEXT));
  assert.deepEqual([s.width, s.height], [8, 4]);
  assert.deepEqual(maskRows(s), LETTERBOX_MASK);
  // 32 pixels: 12 car, 12 person, 8 background; ties by index.
  assert.deepEqual(sharesOf(s), [
    [1, 'person', 12 / 32],
    [2, 'car', 12 / 32],
    [0, 'background', 8 / 32],
  ]);
});

test('scores give the same mask as their argmax; [1, 1, H, W] indices too', () => {
  const fromScores = segmentation(segment(scoreMap(LETTERBOX_MAP, 4), DEFAULTS, LETTERBOX_CONTEXT));
  assert.deepEqual(maskRows(fromScores), LETTERBOX_MASK);
  const fromIndices4d = segmentation(segment(indexMap(LETTERBOX_MAP, [1, 1, 4, 4]), DEFAULTS, LETTERBOX_CONTEXT));
  assert.deepEqual(maskRows(fromIndices4d), LETTERBOX_MASK);
  assert.deepEqual(sharesOf(fromScores), sharesOf(fromIndices4d));
});

test('argmax: the first class wins a tie, NaN never wins, all-NaN is class 0', () => {
  // 3 classes over a 1 x 4 map, channel-major.
  const nan = Number.NaN;
  const data = Float32Array.from([
    0.5, nan, 0.1, nan, // class 0
    0.5, 0.2, nan, nan, // class 1
    0.1, 0.1, 0.9, nan, // class 2
  ]);
  const s = segmentation(segment({ data, dims: [1, 3, 1, 4] }, DEFAULTS, { labels: [] }));
  assert.deepEqual(maskRows(s), [[0, 1, 2, 0]]);
  assert.deepEqual(sharesOf(s), [
    [0, '0', 0.5],
    [1, '1', 0.25],
    [2, '2', 0.25],
  ]);
});

test('a map at a quarter of the input resolution is spread over the original pixels', () => {
  // A 16 x 8 original stretched to a 32 x 32 input (scale 2 and 4); the model answers at 8 x 8.
  const geometry: ImageGeometry = { originalWidth: 16, originalHeight: 8, scaleX: 2, scaleY: 4, padX: 0, padY: 0 };
  const map = Array.from({ length: 8 }, (_, y) => Array.from({ length: 8 }, (_, x) => (x + y) % 3));
  const s = segmentation(segment(indexMap(map), DEFAULTS, { labels: [], geometry, inputWidth: 32, inputHeight: 32 }));
  assert.deepEqual([s.width, s.height], [16, 8]);
  // An original pixel is 2 x 4 input pixels and a map cell is 4 x 4: two pixels across per cell, one down.
  const expected = Array.from({ length: 8 }, (_, y) => Array.from({ length: 16 }, (_, x) => map[y]![x >> 1]!));
  assert.deepEqual(maskRows(s), expected);
  const total = s.classes.reduce((sum, c) => sum + c.share, 0);
  assert.ok(Math.abs(total - 1) < 1e-12);
});

test('each original pixel takes the cell under its centre, not under its corner', () => {
  // 3 pixels shrunk to 2: centres land at 0.33, 1.0 and 1.67 input pixels; corners at 0, 0.67, 1.33.
  const geometry: ImageGeometry = { originalWidth: 3, originalHeight: 1, scaleX: 2 / 3, scaleY: 1, padX: 0, padY: 0 };
  const s = segmentation(segment(indexMap([[0, 1]]), DEFAULTS, { labels: [], geometry, inputWidth: 2, inputHeight: 1 }));
  assert.deepEqual(maskRows(s), [[0, 1, 1]]);
});

test('without a geometry the mask is the map itself', () => {
  const s = segmentation(segment(indexMap(LETTERBOX_MAP), DEFAULTS, { labels: LABELS, inputWidth: 16, inputHeight: 16 }));
  assert.deepEqual([s.width, s.height], [4, 4]);
  assert.deepEqual(maskRows(s), LETTERBOX_MAP);
  assert.deepEqual(s.classes[0], { index: 3, label: 'padding', share: 0.5 });
});

test('palette: a colour per class, distinct for 256 classes; the background transparent', () => {
  const data = new Float32Array(256);
  data[200] = 1;
  const s = segmentation(segment({ data, dims: [1, 256, 1, 1] }, DEFAULTS, { labels: [] }));
  const png = readPalettePng(s.maskPng);
  assert.equal(png.palette.length, 256 * 3);
  const colours = new Set(Array.from({ length: 256 }, (_, i) => png.palette.subarray(i * 3, i * 3 + 3).join(',')));
  assert.equal(colours.size, 256);
  assert.deepEqual(png.alpha, Uint8Array.of(0));
  assert.deepEqual([...png.pixels], [200]);
  // The palette is fixed: the same class has the same colour whatever the model.
  const small = readPalettePng(segmentation(segment(indexMap([[0, 1, 2]]), DEFAULTS, { labels: [] })).maskPng);
  assert.deepEqual(small.palette, png.palette.subarray(0, 9));
});

test('background_class is the transparent one; an ordinary decoder sees colours and alpha', async () => {
  const options = SegmentationPostprocessor.fromPartial({ backgroundClass: 2 });
  const s = segmentation(segment(indexMap(LETTERBOX_MAP), options, LETTERBOX_CONTEXT));
  const png = readPalettePng(s.maskPng);
  assert.deepEqual(png.alpha, Uint8Array.of(255, 255, 0));
  // Its pixels still count.
  assert.deepEqual(s.classes.find((c) => c.index === 2)?.share, 12 / 32);

  const { data, info } = await sharp(s.maskPng).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [8, 4, 4]);
  const rgba = (x: number, y: number): number[] => [...data.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
  const colour = (c: number): number[] => [...png.palette.subarray(c * 3, c * 3 + 3)];
  assert.equal(rgba(7, 0)[3], 0, 'a car pixel (the background here) is transparent');
  assert.deepEqual(rgba(2, 0), [...colour(1), 255], 'a person pixel has its palette colour');
  assert.deepEqual(rgba(0, 0), [...colour(0), 255], 'class 0 is opaque when it is not the background');
  assert.notDeepEqual(colour(0), colour(1));
});

test('class indices: nearly-integers are rounded; negative, fractional or NaN ones are INTERNAL', () => {
  const s = segmentation(segment(indexMap([[0.9999, 2.0004, 1]]), DEFAULTS, { labels: [] }));
  assert.deepEqual(maskRows(s), [[1, 2, 1]]);
  for (const bad of [-1, 0.5, 1.3, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => segment(indexMap([[0, bad]]), DEFAULTS, { labels: [] }), isInternal, `index ${bad}`);
  }
});

test('more than 256 classes is INTERNAL, as scores or as indices; 256 is fine', () => {
  assert.doesNotThrow(() => segment(indexMap([[255]]), DEFAULTS, { labels: [] }));
  assert.throws(() => segment(indexMap([[0, 256]]), DEFAULTS, { labels: [] }), isInternal);
  assert.throws(() => segment({ data: new Float32Array(257), dims: [1, 257, 1, 1] }, DEFAULTS, { labels: [] }), isInternal);
});

test('shapes that are neither scores nor indices are INTERNAL', () => {
  const shapes = [[1, 4], [2, 2, 2], [2, 3, 2, 2], [1, 1, 2, 2, 1]];
  for (const dims of shapes) {
    const size = dims.reduce((a, b) => a * b, 1);
    assert.throws(() => segment({ data: new Float32Array(size), dims }, DEFAULTS, { labels: [] }), isInternal, `[${dims.join(', ')}]`);
  }
  assert.throws(() => segment({ data: new Float32Array(3), dims: [1, 2, 2] }, DEFAULTS, { labels: [] }), isInternal, 'too few values');
});
