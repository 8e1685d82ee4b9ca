import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rocCurve } from '../../../client/metrics/roc-curve.js';
import type { ScoredSample } from '../../../client/metrics/scored-sample.js';

const samples = (labels: readonly number[], scores: readonly number[]): ScoredSample[] => labels.map((l, i) => ({ positive: l === 1, score: scores[i] as number }));

test('AUC on known data (scikit-learn roc_auc_score example: 0.75)', () => {
  const roc = rocCurve(samples([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]));
  assert.equal(roc.auc, 0.75);
  assert.deepEqual(
    roc.points.map((p) => [p.falsePositiveRate, p.truePositiveRate]),
    [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]],
  );
});

test('perfect, inverted and tied scorers', () => {
  assert.equal(rocCurve(samples([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1])).auc, 1);
  assert.equal(rocCurve(samples([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).auc, 0);
  // Equal scores count one half: the curve goes diagonally through the tie.
  assert.equal(rocCurve(samples([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).auc, 0.5);
  assert.ok(Number.isNaN(rocCurve(samples([1, 1], [0.2, 0.3])).auc));
});

test('AUC equals the Mann-Whitney probability that a positive outscores a negative', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const data = Array.from({ length: 300 }, () => {
    const positive = random() < 0.4;
    // Rounded, so that there are ties.
    return { positive, score: Math.round((random() + (positive ? 0.3 : 0)) * 20) / 20 };
  });
  let wins = 0;
  let pairs = 0;
  for (const p of data.filter((d) => d.positive)) {
    for (const n of data.filter((d) => !d.positive)) {
      pairs++;
      wins += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
    }
  }
  assert.ok(Math.abs(rocCurve(data).auc - wins / pairs) < 1e-12);
});
