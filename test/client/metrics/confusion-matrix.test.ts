import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confusionMatrix } from '../../../client/metrics/confusion-matrix.js';

test('rows are true labels, columns predictions; model labels first, then the others seen', () => {
  const m = confusionMatrix(
    [
      { truth: 'red', predicted: 'red' },
      { truth: 'red', predicted: 'blue' },
      { truth: 'blue', predicted: 'blue' },
      { truth: 'other', predicted: 'green' },
      { truth: 'green', predicted: 'green' },
    ],
    ['red', 'green', 'blue'],
  );
  assert.deepEqual(m.labels, ['red', 'green', 'blue', 'other']);
  assert.deepEqual(m.matrix, [
    [1, 0, 1, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 1, 0, 0],
  ]);
  assert.equal(m.correct, 3);
  assert.equal(m.total, 5);
  assert.equal(m.accuracy, 0.6);
  assert.ok(Number.isNaN(confusionMatrix([]).accuracy));
});
