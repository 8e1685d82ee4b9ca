import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { type OutputTensor, resultOutputs, toResultOutputs } from '../../../server/kserve/result-outputs.js';

function byName(tensors: readonly OutputTensor[]): Map<string, OutputTensor> {
  return new Map(tensors.map((t) => [t.name, t]));
}

const floats = (t: OutputTensor | undefined): number[] => [...new Float32Array(Uint8Array.from(t?.raw ?? []).buffer)];
const int64s = (t: OutputTensor | undefined): number[] => [...new BigInt64Array(Uint8Array.from(t?.raw ?? []).buffer)].map(Number);

/** BYTES contents as the protocol lays them out: a 4-byte little-endian length before each element. */
function elements(t: OutputTensor | undefined): Buffer[] {
  const raw = Buffer.from(t?.raw ?? []);
  const out: Buffer[] = [];
  for (let offset = 0; offset < raw.length; ) {
    const length = raw.readUInt32LE(offset);
    out.push(raw.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return out;
}

test('detection: boxes, scores, each object\'s class index and label', () => {
  assert.deepEqual(resultOutputs('detection').map((m) => [m.name, m.datatype, m.shape.map(Number)]), [
    ['result', 'BYTES', [1]],
    ['boxes', 'FP32', [-1, 4]],
    ['scores', 'FP32', [-1]],
    ['class_ids', 'INT64', [-1]],
    ['labels', 'BYTES', [-1]],
  ]);
  const prediction = Prediction.fromPartial({
    detections: [
      { xMin: 1, yMin: 2, xMax: 3, yMax: 4, score: 0.5, classIndex: 7, label: 'cat' },
      { xMin: 5, yMin: 6, xMax: 7, yMax: 8, score: 0.25, classIndex: 0, label: 'chat noir' },
    ],
    // Top-k classes must not leak into a detector's class_ids.
    classes: [{ index: 99, label: 'x', score: 1 }],
  });
  const out = byName(toResultOutputs('detection', prediction, undefined));
  assert.deepEqual([...out.keys()], ['result', 'boxes', 'scores', 'class_ids', 'labels']);
  assert.deepEqual(floats(out.get('boxes')), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(out.get('boxes')?.shape, [2n, 4n]);
  assert.deepEqual(floats(out.get('scores')), [0.5, 0.25]);
  assert.deepEqual(int64s(out.get('class_ids')), [7, 0]);
  assert.deepEqual(out.get('class_ids')?.shape, [2n]);
  assert.deepEqual(elements(out.get('labels')).map(String), ['cat', 'chat noir']);
});

test('classification keeps class_ids as the top-k indices', () => {
  const prediction = Prediction.fromPartial({ classes: [{ index: 3, label: 'dog', score: 0.75 }, { index: 1, label: 'cat', score: 0.25 }] });
  const out = byName(toResultOutputs('classification', prediction, new Set(['class_ids', 'class_scores'])));
  assert.deepEqual([...out.keys()], ['class_ids', 'class_scores']);
  assert.deepEqual(int64s(out.get('class_ids')), [3, 1]);
  assert.deepEqual(floats(out.get('class_scores')), [0.75, 0.25]);
});

test('segmentation: the mask PNG as one BYTES element, and the classes present with their shares', () => {
  assert.deepEqual(resultOutputs('segmentation').map((m) => [m.name, m.datatype, m.shape.map(Number)]), [
    ['result', 'BYTES', [1]],
    ['mask_png', 'BYTES', [1]],
    ['class_shares', 'FP32', [-1]],
    ['class_ids', 'INT64', [-1]],
  ]);
  const maskPng = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255);
  const prediction = Prediction.fromPartial({
    imageWidth: 4,
    imageHeight: 2,
    segmentation: { maskPng, width: 4, height: 2, classes: [{ index: 15, label: 'person', share: 0.75 }, { index: 0, label: 'background', share: 0.25 }] },
  });
  const out = byName(toResultOutputs('segmentation', prediction, undefined));
  assert.deepEqual([...out.keys()], ['result', 'mask_png', 'class_shares', 'class_ids']);
  assert.deepEqual(out.get('mask_png')?.shape, [1n]);
  assert.deepEqual(elements(out.get('mask_png')), [Buffer.from(maskPng)]);
  assert.deepEqual(floats(out.get('class_shares')), [0.75, 0.25]);
  assert.deepEqual(int64s(out.get('class_ids')), [15, 0]);
  const result = JSON.parse(String(elements(out.get('result'))[0])) as { segmentation?: { maskPng?: string; width?: number } };
  assert.equal(result.segmentation?.maskPng, Buffer.from(maskPng).toString('base64'));
  assert.equal(result.segmentation?.width, 4);
});

test('segmentation without a mask answers empty outputs, not an error', () => {
  const out = byName(toResultOutputs('segmentation', Prediction.fromPartial({}), undefined));
  assert.deepEqual(elements(out.get('mask_png')), [Buffer.alloc(0)]);
  assert.deepEqual(out.get('class_shares')?.shape, [0n]);
  assert.deepEqual(out.get('class_ids')?.shape, [0n]);
});
