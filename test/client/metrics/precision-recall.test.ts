import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsAtThreshold, precisionRecallCurve } from '../../../client/metrics/precision-recall.js';

const data = [
  { positive: false, score: 0.1 },
  { positive: false, score: 0.4 },
  { positive: true, score: 0.35 },
  { positive: true, score: 0.8 },
];

test('PR curve and average precision (scikit-learn example: AP 0.8333)', () => {
  const pr = precisionRecallCurve(data);
  assert.deepEqual(
    pr.points.map((p) => [p.threshold, p.recall, Math.round(p.precision * 1e4) / 1e4]),
    [
      [0.8, 0.5, 1],
      [0.4, 0.5, 0.5],
      [0.35, 1, 0.6667],
      [0.1, 1, 0.5],
    ],
  );
  assert.ok(Math.abs(pr.averagePrecision - 5 / 6) < 1e-12);
  assert.ok(Number.isNaN(precisionRecallCurve([{ positive: false, score: 1 }]).averagePrecision));
});

test('precision, recall and F1 at a threshold (score >= threshold is positive)', () => {
  const m = metricsAtThreshold(data, 0.35);
  assert.deepEqual([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives], [2, 1, 1, 0]);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.recall, 1);
  assert.equal(m.f1, 0.8);
  const none = metricsAtThreshold(data, 0.9);
  assert.ok(Number.isNaN(none.precision));
  assert.equal(none.recall, 0);
});
