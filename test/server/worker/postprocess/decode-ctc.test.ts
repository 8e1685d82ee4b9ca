import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCtc } from '../../../../server/worker/postprocess/decode-ctc.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';

const LABELS = ['h', 'e', 'l', 'o'];

/** One step per entry: [class, probability]; the rest of the step's mass is spread evenly. */
function sequence(steps: [number, number][], classes = LABELS.length + 1): OutputTensor {
  const data = new Float32Array(steps.length * classes);
  steps.forEach(([best, p], t) => {
    for (let c = 0; c < classes; c++) data[t * classes + c] = c === best ? p : (1 - p) / (classes - 1);
  });
  return { data, dims: [1, steps.length, classes] };
}

test('repeats collapse, blanks drop, and a blank separates double letters', () => {
  // h h _ e e l l _ l o o _
  const steps: [number, number][] = [
    [1, 0.9], [1, 0.8], [0, 0.99], [2, 0.7], [2, 0.95], [3, 0.6], [3, 0.9], [0, 0.9], [3, 0.8], [4, 0.5], [4, 0.9], [0, 0.9],
  ];
  const { text, textScore } = decodeCtc(sequence(steps), LABELS);
  assert.equal(text, 'hello');
  // The first step of each emitted run counts: h 0.9, e 0.7, l 0.6, l 0.8, o 0.5.
  assert.ok(Math.abs(textScore! - (0.9 + 0.7 + 0.6 + 0.8 + 0.5) / 5) < 1e-6, `textScore ${textScore}`);
});

test('without a blank between them, repeated letters collapse into one', () => {
  const { text } = decodeCtc(sequence([[1, 0.9], [3, 0.9], [3, 0.9], [4, 0.9]]), LABELS);
  assert.equal(text, 'hlo');
});

test('the class after the labels is a space when the model has one', () => {
  const space = LABELS.length + 1;
  const steps: [number, number][] = [[1, 0.9], [2, 0.9], [space, 0.8], [4, 0.9]];
  assert.equal(decodeCtc(sequence(steps, LABELS.length + 2), LABELS).text, 'he o');
});

test('all blanks decode to empty text with score 0', () => {
  const { text, textScore } = decodeCtc(sequence([[0, 0.9], [0, 0.8]]), LABELS);
  assert.equal(text, '');
  assert.equal(textScore, 0);
});

test('a class count that does not fit the labels, or a wrong shape, is INTERNAL', () => {
  const isInternal = (err: unknown) => (err as { code?: unknown }).code === 'INTERNAL';
  assert.throws(() => decodeCtc(sequence([[1, 0.9]], LABELS.length + 3), LABELS), isInternal);
  assert.throws(() => decodeCtc({ data: new Float32Array(5), dims: [1, 5] }, LABELS), isInternal);
});
