/**
 * Precision and recall of a binary scorer: at one threshold, and as a curve over every threshold
 * with its average precision (the step-wise area, sum over thresholds of
 * (recall_n - recall_n-1) * precision_n, as scikit-learn computes it).
 */
import { type ScoredSample, groupByScore } from './scored-sample.js';

/** Counts and rates at one threshold: score >= threshold is called positive. */
export interface ThresholdMetrics {
  readonly threshold: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
  /** NaN when nothing is called positive. */
  readonly precision: number;
  /** NaN when there are no positives. */
  readonly recall: number;
  readonly f1: number;
}

export interface PrPoint {
  readonly recall: number;
  readonly precision: number;
  readonly threshold: number;
}

export interface PrCurve {
  /** Highest threshold first; recall rises along the curve. */
  readonly points: readonly PrPoint[];
  /** NaN when there are no positives. */
  readonly averagePrecision: number;
}

export function metricsAtThreshold(samples: readonly ScoredSample[], threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const s of samples) {
    const called = s.score >= threshold;
    if (called && s.positive) tp++;
    else if (called) fp++;
    else if (s.positive) fn++;
    else tn++;
  }
  const precision = tp + fp === 0 ? Number.NaN : tp / (tp + fp);
  const recall = tp + fn === 0 ? Number.NaN : tp / (tp + fn);
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : Number.NaN;
  return { threshold, truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn, precision, recall, f1 };
}

export function precisionRecallCurve(samples: readonly ScoredSample[]): PrCurve {
  const positives = samples.filter((s) => s.positive).length;
  if (positives === 0) return { points: [], averagePrecision: Number.NaN };
  const points: PrPoint[] = [];
  let tp = 0;
  let called = 0;
  let previousRecall = 0;
  let averagePrecision = 0;
  for (const group of groupByScore(samples)) {
    tp += group.positives;
    called += group.positives + group.negatives;
    const recall = tp / positives;
    const precision = tp / called;
    averagePrecision += (recall - previousRecall) * precision;
    previousRecall = recall;
    points.push({ recall, precision, threshold: group.score });
  }
  return { points, averagePrecision };
}
