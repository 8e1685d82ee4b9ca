import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Postprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';
import { postprocess } from '../../../../server/worker/postprocess/postprocess.js';

const scores: OutputTensor = { data: Float32Array.of(0.2, 0.8), dims: [1, 2] };
const other: OutputTensor = { data: Float32Array.of(0.9, 0.1), dims: [1, 2] };
const outputs = new Map([
  ['scores', scores],
  ['other', other],
]);
const context = { labels: ['no', 'yes'], outputNames: ['scores', 'other'] };
const classification = (output: string) =>
  Postprocessor.fromPartial({ kind: { $case: 'classification', value: { output, topK: 1, softmax: false } } });

test('no postprocessor gives nothing', () => {
  assert.deepEqual(postprocess(undefined, outputs, context), {});
  assert.deepEqual(postprocess(Postprocessor.fromPartial({}), outputs, context), {});
});

test('the named output is used, or the model’s first output when none is named', () => {
  assert.equal(postprocess(classification(''), outputs, context).classes?.[0]?.label, 'yes');
  assert.equal(postprocess(classification('other'), outputs, context).classes?.[0]?.label, 'no');
});

test('an output the model lacks is INTERNAL', () => {
  assert.throws(
    () => postprocess(classification('missing'), outputs, context),
    (err: unknown) => (err as { code?: unknown }).code === 'INTERNAL',
  );
});

test('image size comes from the geometry', () => {
  const result = postprocess(classification(''), outputs, {
    ...context,
    geometry: { originalWidth: 640, originalHeight: 480, scaleX: 0.35, scaleY: 0.46, padX: 0, padY: 0 },
  });
  assert.equal(result.imageWidth, 640);
  assert.equal(result.imageHeight, 480);
  assert.equal(postprocess(classification(''), outputs, context).imageWidth, undefined);
});

test('each kind is dispatched to its postprocessor', () => {
  const ctc = postprocess(
    Postprocessor.fromPartial({ kind: { $case: 'ctcDecode', value: { output: 'seq' } } }),
    new Map([['seq', { data: Float32Array.of(0.1, 0.9, 0.9, 0.1), dims: [1, 2, 2] }]]),
    { labels: ['a'], outputNames: ['seq'] },
  );
  assert.equal(ctc.text, 'a');
  const peaks = postprocess(
    Postprocessor.fromPartial({ kind: { $case: 'peaks', value: { output: '' } } }),
    new Map([['heat', { data: Float32Array.of(0, 0.9, 0, 0), dims: [1, 1, 2, 2] }]]),
    { labels: ['p'], outputNames: ['heat'] },
  );
  assert.deepEqual(peaks.points?.map((p) => [p.x, p.y, p.label]), [[1.5, 0.5, 'p']]);
  const map = new Float32Array(20 * 20);
  for (let y = 5; y < 12; y++) for (let x = 3; x < 17; x++) map[y * 20 + x] = 0.9;
  const text = postprocess(
    Postprocessor.fromPartial({ kind: { $case: 'textDetection', value: { output: '' } } }),
    new Map([['map', { data: map, dims: [1, 1, 20, 20] }]]),
    { labels: [], outputNames: ['map'] },
  );
  assert.equal(text.detections?.length, 1);
});
