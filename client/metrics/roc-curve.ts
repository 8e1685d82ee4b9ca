/**
 * The ROC curve of a binary scorer and the area under it. Items with equal scores move the curve
 * diagonally, together, so the area equals the probability that a random positive scores above a
 * random negative, ties counting one half (the Mann-Whitney U statistic).
 */
import { type ScoredSample, groupByScore } from './scored-sample.js';

export interface RocPoint {
  readonly falsePositiveRate: number;
  readonly truePositiveRate: number;
  /** Items scoring at or above this are called positive; Infinity for the (0, 0) start. */
  readonly threshold: number;
}

export interface RocCurve {
  /** From (0, 0) to (1, 1), one point per distinct score. */
  readonly points: readonly RocPoint[];
  /** NaN when there are no positives or no negatives. */
  readonly auc: number;
}

export function rocCurve(samples: readonly ScoredSample[]): RocCurve {
  const positives = samples.filter((s) => s.positive).length;
  const negatives = samples.length - positives;
  const points: RocPoint[] = [{ falsePositiveRate: 0, truePositiveRate: 0, threshold: Infinity }];
  if (positives === 0 || negatives === 0) return { points, auc: Number.NaN };
  let tp = 0;
  let fp = 0;
  let auc = 0;
  for (const group of groupByScore(samples)) {
    const prevTpr = tp / positives;
    const prevFpr = fp / negatives;
    tp += group.positives;
    fp += group.negatives;
    const tpr = tp / positives;
    const fpr = fp / negatives;
    auc += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    points.push({ falsePositiveRate: fpr, truePositiveRate: tpr, threshold: group.score });
  }
  return { points, auc };
}
