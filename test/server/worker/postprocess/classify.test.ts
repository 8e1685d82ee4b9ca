import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassificationPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import { classify } from '../../../../server/worker/postprocess/classify.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';

const LABELS = ['cat', 'dog', 'bird', 'fish'];

function logits(values: number[], dims = [1, values.length]): OutputTensor {
  return { data: Float32Array.from(values), dims };
}

test('top-k of raw scores, highest first, ties by index, unlabelled classes by index', () => {
  const out = classify(logits([0.1, 0.7, 0.1, 0.05, 0.7]), ClassificationPostprocessor.fromPartial({ topK: 3 }), LABELS);
  assert.deepEqual(
    out.classes?.map((c) => [c.index, c.label, Number(c.score.toFixed(4))]),
    [[1, 'dog', 0.7], [4, '4', 0.7], [0, 'cat', 0.1]],
  );
});

test('softmax turns logits into probabilities, stably for large logits', () => {
  const values = [1000, 1001, 999, 998];
  const out = classify(logits(values), ClassificationPostprocessor.fromPartial({ topK: 4, softmax: true }), LABELS);
  const exps = values.map((v) => Math.exp(v - 1001));
  const sum = exps.reduce((a, b) => a + b, 0);
  assert.deepEqual(out.classes?.map((c) => c.index), [1, 0, 2, 3]);
  for (const c of out.classes ?? []) assert.ok(Math.abs(c.score - exps[c.index]! / sum) < 1e-12, `class ${c.index}`);
  const total = (out.classes ?? []).reduce((a, c) => a + c.score, 0);
  assert.ok(Math.abs(total - 1) < 1e-12);
});

test('top_k defaults to 5 and is capped at the number of classes; [1, C, 1, 1] is accepted', () => {
  const many = classify(logits(Array.from({ length: 10 }, (_, i) => i)), ClassificationPostprocessor.fromPartial({}), []);
  assert.deepEqual(many.classes?.map((c) => c.index), [9, 8, 7, 6, 5]);
  const few = classify(logits([3, 1, 2], [1, 3, 1, 1]), ClassificationPostprocessor.fromPartial({ topK: 10 }), LABELS);
  assert.deepEqual(few.classes?.map((c) => c.label), ['cat', 'bird', 'dog']);
});

test('a batch dimension other than 1 is INTERNAL', () => {
  assert.throws(
    () => classify(logits([1, 2, 3, 4], [2, 2]), ClassificationPostprocessor.fromPartial({}), LABELS),
    (err: unknown) => (err as { code?: unknown }).code === 'INTERNAL',
  );
});
