import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeakPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import { findPeaks } from '../../../../server/worker/postprocess/find-peaks.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';

const C = 2;
const H = 20;
const W = 30;
const DEFAULTS = PeakPostprocessor.fromPartial({});

function heatmap(values: [channel: number, x: number, y: number, v: number][]): OutputTensor {
  const data = new Float32Array(C * H * W);
  for (const [c, x, y, v] of values) data[c * H * W + y * W + x] = v;
  return { data, dims: [1, C, H, W] };
}

const peaksOf = (result: ReturnType<typeof findPeaks>) =>
  (result.points ?? []).map((p) => [p.channel, p.x, p.y, Number(p.score.toFixed(2))]);

test('local maxima above the threshold, highest first; a lower peak within the radius is suppressed', () => {
  const map = heatmap([
    [0, 5, 5, 0.9],
    [0, 7, 6, 0.8], // within radius 3 of (5, 5)
    [0, 20, 10, 0.7],
    [0, 25, 15, 0.4], // under the threshold
    [0, 26, 2, 0.6],
  ]);
  assert.deepEqual(peaksOf(findPeaks(map, DEFAULTS, { labels: [] })), [
    [0, 5.5, 5.5, 0.9],
    [0, 20.5, 10.5, 0.7],
    [0, 26.5, 2.5, 0.6],
  ]);
  // With radius 1 the second point is a peak of its own.
  assert.equal(findPeaks(map, { ...DEFAULTS, radius: 1 }, { labels: [] }).points?.length, 4);
  // max_peaks keeps the highest.
  assert.deepEqual(peaksOf(findPeaks(map, { ...DEFAULTS, maxPeaks: 1 }, { labels: [] })), [[0, 5.5, 5.5, 0.9]]);
});

test('a plateau gives one peak, at its first cell in row-major order', () => {
  const map = heatmap([
    [1, 10, 10, 0.6],
    [1, 11, 10, 0.6],
    [1, 10, 11, 0.6],
    [1, 11, 11, 0.6],
  ]);
  const result = findPeaks(map, DEFAULTS, { labels: ['nose', 'eye'] });
  assert.deepEqual(peaksOf(result), [[1, 10.5, 10.5, 0.6]]);
  assert.equal(result.points?.[0]?.label, 'eye');
});

test('cell centres map through the heatmap stride and the image geometry', () => {
  const map = heatmap([[0, 5, 4, 0.9]]);
  // Heatmap cells are 4 input pixels; input pixels are 2 original pixels.
  const result = findPeaks(map, DEFAULTS, {
    labels: [],
    inputWidth: W * 4,
    inputHeight: H * 4,
    geometry: { originalWidth: 240, originalHeight: 160, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 },
  });
  assert.deepEqual(peaksOf(result), [[0, 5.5 * 8, 4.5 * 8, 0.9]]);
  assert.equal(result.points?.[0]?.label, '0', 'an unlabelled channel is named by its index');
});

test('threshold is inclusive and NaN is never a peak', () => {
  const map = heatmap([[0, 3, 3, 0.5], [1, 3, 3, Number.NaN]]);
  assert.deepEqual(peaksOf(findPeaks(map, DEFAULTS, { labels: [] })), [[0, 3.5, 3.5, 0.5]]);
});
