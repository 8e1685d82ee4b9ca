import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassificationPostprocessor, ScoreActivation } from '../../../../gen/ts/sluice/v1/model_config.js';
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

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const close = (actual: number, expected: number): boolean => actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
const scores = (out: ReturnType<typeof classify>): [number, number][] => (out.classes ?? []).map((c) => [c.index, c.score]);

test('activation UNSPECIFIED decides per item: probabilities as they are, logits through a softmax', () => {
  const options = ClassificationPostprocessor.fromPartial({ topK: 4 });
  const probabilities = [0, 0.25, 1, 0.5];
  assert.deepEqual(scores(classify(logits(probabilities), options, LABELS)), [[2, 1], [3, 0.5], [1, 0.25], [0, 0]]);
  // One value outside [0, 1] makes them all logits.
  // As the model hands them over: float32.
  const values = [0.2, 0.9, 1.5, -0.1].map(Math.fround);
  const exps = values.map((v) => Math.exp(v - 1.5));
  const sum = exps.reduce((a, b) => a + b, 0);
  const out = scores(classify(logits(values), options, LABELS));
  assert.deepEqual(out.map(([i]) => i), [2, 1, 0, 3]);
  for (const [i, score] of out) assert.ok(close(score, exps[i]! / sum), `class ${i}`);
});

test('activation NONE keeps logits raw; SOFTMAX applies even to values in [0, 1]', () => {
  const values = [3, -2, 0.5];
  const none = classify(logits(values), ClassificationPostprocessor.fromPartial({ topK: 3, activation: ScoreActivation.SCORE_ACTIVATION_NONE }), LABELS);
  assert.deepEqual(scores(none), [[0, 3], [2, 0.5], [1, -2]]);

  const probabilities = [0.5, 0.25, 0.25];
  const softmax = classify(logits(probabilities), ClassificationPostprocessor.fromPartial({ topK: 3, activation: ScoreActivation.SCORE_ACTIVATION_SOFTMAX }), LABELS);
  const exps = probabilities.map((v) => Math.exp(v - 0.5));
  const sum = exps.reduce((a, b) => a + b, 0);
  assert.deepEqual(softmax.classes?.map((c) => c.index), [0, 1, 2]);
  for (const c of softmax.classes ?? []) assert.ok(close(c.score, exps[c.index]! / sum), `class ${c.index}`);
});

test('activation SIGMOID scores each class on its own, stably for large logits', () => {
  const values = [2, -1000, 1000, 0, -30];
  const out = classify(logits(values), ClassificationPostprocessor.fromPartial({ topK: 5, activation: ScoreActivation.SCORE_ACTIVATION_SIGMOID }), LABELS);
  assert.deepEqual(out.classes?.map((c) => c.index), [2, 0, 3, 4, 1]);
  for (const c of out.classes ?? []) {
    assert.ok(Number.isFinite(c.score), `class ${c.index} is finite`);
    assert.ok(close(c.score, sigmoid(values[c.index]!)), `class ${c.index}: ${c.score}`);
  }
  // Independent: they need not sum to 1.
  const total = (out.classes ?? []).reduce((a, c) => a + c.score, 0);
  assert.ok(total > 1.5);
  // Neither form of the sigmoid may see e^1000 (Infinity / Infinity is NaN): 1000 gives 1, -1000 gives 0.
  assert.equal(out.classes?.[4]?.score, 0);
});

test('NaN is never among the top k, whatever the activation', () => {
  for (const activation of [ScoreActivation.SCORE_ACTIVATION_NONE, ScoreActivation.SCORE_ACTIVATION_SIGMOID, ScoreActivation.SCORE_ACTIVATION_UNSPECIFIED]) {
    const out = classify(logits([Number.NaN, 0.3, Number.NaN, 0.6]), ClassificationPostprocessor.fromPartial({ topK: 4, activation }), LABELS);
    assert.deepEqual(out.classes?.map((c) => c.index), [3, 1], `activation ${activation}`);
  }
});
