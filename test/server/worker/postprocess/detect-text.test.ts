import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detection } from '../../../../gen/ts/sluice/v1/inference_service.js';
import { TextDetectionPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import { detectText } from '../../../../server/worker/postprocess/detect-text.js';
import { rectCorners } from '../../../../server/worker/postprocess/geometry.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';

const W = 200;
const H = 120;
const DEFAULTS = TextDetectionPostprocessor.fromPartial({});

function emptyMap(width = W, height = H): { data: Float32Array; width: number; height: number } {
  return { data: new Float32Array(width * height), width, height };
}

function tensorOf(map: { data: Float32Array; width: number; height: number }): OutputTensor {
  return { data: map.data, dims: [1, 1, map.height, map.width] };
}

/** Fills pixels x0..x1-1, y0..y1-1. */
function fillRect(map: ReturnType<typeof emptyMap>, x0: number, y0: number, x1: number, y1: number, p: number): void {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) map.data[y * map.width + x] = p;
}

/** Fills the pixels whose centres lie inside a rotated rectangle. */
function fillRotated(
  map: ReturnType<typeof emptyMap>,
  rect: { centerX: number; centerY: number; width: number; height: number; angle: number },
  p: number,
): void {
  const ux = Math.cos(rect.angle);
  const uy = Math.sin(rect.angle);
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const dx = x + 0.5 - rect.centerX;
      const dy = y + 0.5 - rect.centerY;
      if (Math.abs(dx * ux + dy * uy) <= rect.width / 2 && Math.abs(-dx * uy + dy * ux) <= rect.height / 2) {
        map.data[y * map.width + x] = p;
      }
    }
  }
}

/** DB unclip distance for a w x h rectangle. */
function unclipDistance(w: number, h: number, ratio = 1.5): number {
  return (w * h * ratio) / (2 * (w + h));
}

function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);
}

/** Each expected corner has a polygon corner within `tolerance`. */
function assertCornersNear(d: Detection, expected: Float64Array, tolerance: number): void {
  for (let i = 0; i < 4; i++) {
    const [ex, ey] = [expected[2 * i]!, expected[2 * i + 1]!];
    const distance = Math.min(...d.polygon.map((p) => Math.hypot(p.x - ex, p.y - ey)));
    assert.ok(distance <= tolerance, `corner (${ex.toFixed(1)}, ${ey.toFixed(1)}) is ${distance.toFixed(2)} from the polygon`);
  }
}

test('rectangular and rotated blobs become unclipped boxes; faint and tiny blobs are dropped', () => {
  const map = emptyMap();
  // An axis-aligned 60x20 text line.
  fillRect(map, 20, 20, 80, 40, 0.9);
  // A 50x12 line tilted by 20°.
  const tilted = { centerX: 140, centerY: 80, width: 50, height: 12, angle: (20 * Math.PI) / 180 };
  fillRotated(map, tilted, 0.8);
  // Above the pixel threshold, below box_threshold.
  fillRect(map, 20, 70, 70, 90, 0.45);
  // Confident but 2x2: under min_size.
  fillRect(map, 100, 10, 102, 12, 0.95);

  const { detections = [] } = detectText(tensorOf(map), DEFAULTS, {});
  assert.equal(detections.length, 2);
  const [straight, rotated] = detections as [Detection, Detection];

  const d = unclipDistance(60, 20);
  assertNear(straight.xMin, 20 - d, 1e-9, 'xMin');
  assertNear(straight.xMax, 80 + d, 1e-9, 'xMax');
  assertNear(straight.yMin, 20 - d, 1e-9, 'yMin');
  assertNear(straight.yMax, 40 + d, 1e-9, 'yMax');
  assert.deepEqual(
    straight.polygon.map((p) => [p.x, p.y]),
    [[20 - d, 20 - d], [80 + d, 20 - d], [80 + d, 40 + d], [20 - d, 40 + d]],
  );
  assertNear(straight.score, 0.9, 1e-6, 'score');
  assert.equal(straight.label, 'text');

  const dt = unclipDistance(tilted.width, tilted.height);
  const expected = rectCorners({ ...tilted, width: tilted.width + 2 * dt, height: tilted.height + 2 * dt });
  assertCornersNear(rotated, expected, 2);
  // Clockwise from the top-left, the top edge follows the tilt.
  const [tl, tr] = rotated.polygon as [{ x: number; y: number }, { x: number; y: number }];
  assertNear(Math.atan2(tr.y - tl.y, tr.x - tl.x), tilted.angle, 0.05, 'top edge angle');
  assertNear(rotated.score, 0.8, 1e-6, 'score');
});

test('corners map through the geometry and the map-to-input scale, clamped to the image', () => {
  // A 50x30 map over a 200x120 model input over a 400x240 original.
  const map = emptyMap(50, 30);
  fillRect(map, 0, 10, 20, 16, 0.9);
  const { detections = [] } = detectText(tensorOf(map), DEFAULTS, {
    inputWidth: 200,
    inputHeight: 120,
    geometry: { originalWidth: 400, originalHeight: 240, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 },
  });
  assert.equal(detections.length, 1);
  const d = unclipDistance(20, 6);
  const box = detections[0]!;
  // Map pixels are 4 input pixels, input pixels are 2 original pixels.
  assert.equal(box.xMin, 0, 'clamped at the left edge');
  assertNear(box.xMax, (20 + d) * 8, 1e-9, 'xMax');
  assertNear(box.yMin, (10 - d) * 8, 1e-9, 'yMin');
  assertNear(box.yMax, (16 + d) * 8, 1e-9, 'yMax');
});

test('thresholds, min_size and max_candidates are honoured', () => {
  const map = emptyMap();
  fillRect(map, 10, 10, 60, 25, 0.7);
  fillRect(map, 10, 50, 60, 65, 0.9);
  fillRect(map, 10, 90, 60, 105, 0.8);
  const all = detectText(tensorOf(map), DEFAULTS, {}).detections ?? [];
  assert.deepEqual(all.map((d) => d.score.toFixed(1)), ['0.7', '0.9', '0.8']);

  const top2 = detectText(tensorOf(map), { ...DEFAULTS, maxCandidates: 2 }, {}).detections ?? [];
  assert.deepEqual(top2.map((d) => d.score.toFixed(1)), ['0.9', '0.8'], 'the best two, in reading order');

  const strict = detectText(tensorOf(map), { ...DEFAULTS, boxThreshold: 0.75 }, {}).detections ?? [];
  assert.equal(strict.length, 2);

  const high = detectText(tensorOf(map), { ...DEFAULTS, threshold: 0.85 }, {}).detections ?? [];
  assert.equal(high.length, 1);

  const bigMin = detectText(tensorOf(map), { ...DEFAULTS, minSize: 16 }, {}).detections ?? [];
  assert.equal(bigMin.length, 0, '15-pixel-high lines are under min_size 16');
});

test('8-connected pixels form one region; boxes are in reading order', () => {
  const map = emptyMap();
  // Two blocks touching only at a corner are one region.
  fillRect(map, 10, 10, 30, 20, 0.9);
  fillRect(map, 30, 20, 50, 30, 0.9);
  // A line of three words whose tops differ by a few pixels; the middle one is highest.
  fillRect(map, 20, 60, 50, 75, 0.9);
  fillRect(map, 60, 57, 90, 72, 0.9);
  fillRect(map, 100, 62, 130, 77, 0.9);
  const detections = detectText(tensorOf(map), DEFAULTS, {}).detections ?? [];
  assert.equal(detections.length, 4);
  const order = detections.map((d) => Math.round((d.xMin + d.xMax) / 2));
  assert.deepEqual(order.slice(1), [35, 75, 115]);
  assert.ok((detections[0]!.yMax - detections[0]!.yMin) > 20, 'the diagonal pair is one box');
});

test('an empty map has no detections, and a wrong shape is INTERNAL', () => {
  assert.deepEqual(detectText(tensorOf(emptyMap()), DEFAULTS, {}).detections, []);
  assert.throws(
    () => detectText({ data: new Float32Array(8), dims: [1, 2, 2, 2] }, DEFAULTS, {}),
    (err: unknown) => (err as { code?: unknown }).code === 'INTERNAL',
  );
});

test('regions match a plain 8-connected flood fill on random maps', () => {
  let s = 12345;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  // Keep every region: no score floor, no size floor even after unclip.
  const keepAll = { ...DEFAULTS, boxThreshold: 0, minSize: -2 };
  for (const density of [0.2, 0.45, 0.6]) {
    const map = emptyMap(37, 23);
    for (let i = 0; i < map.data.length; i++) map.data[i] = rnd() < density ? 0.31 + rnd() * 0.69 : 0.1;

    // Reference: one pixel at a time, breadth first.
    const seen = new Uint8Array(map.data.length);
    const expected: number[] = [];
    for (let i = 0; i < map.data.length; i++) {
      if (seen[i] || !(map.data[i]! > 0.3)) continue;
      const queue = [i];
      seen[i] = 1;
      let sum = 0;
      for (let q = 0; q < queue.length; q++) {
        const p = queue[q]!;
        sum += map.data[p]!;
        const [x, y] = [p % map.width, Math.floor(p / map.width)];
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const [nx, ny] = [x + dx, y + dy];
            const n = ny * map.width + nx;
            if (nx < 0 || ny < 0 || nx >= map.width || ny >= map.height || seen[n] || !(map.data[n]! > 0.3)) continue;
            seen[n] = 1;
            queue.push(n);
          }
        }
      }
      expected.push(sum / queue.length);
    }

    const detections = detectText(tensorOf(map), keepAll, {}).detections ?? [];
    assert.deepEqual(
      detections.map((d) => d.score.toFixed(5)).sort(),
      expected.map((v) => v.toFixed(5)).sort(),
      `density ${density}: ${detections.length} regions, expected ${expected.length}`,
    );
  }
});
