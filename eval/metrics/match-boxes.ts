/**
 * One-to-one matching of predicted boxes to ground-truth boxes.
 */
import { type Bounds, iou } from './boxes.js';

/** A ground-truth box paired with a predicted one. */
export interface BoxPair {
  /** Index into the ground-truth boxes. */
  readonly truth: number;
  /** Index into the predicted boxes. */
  readonly predicted: number;
  readonly iou: number;
}

/** The outcome of `matchBoxes`. */
export interface BoxMatching {
  /** By ground-truth index. */
  readonly pairs: readonly BoxPair[];
  /** Ground-truth boxes no prediction was paired with: misses. */
  readonly unmatchedTruth: readonly number[];
  /** Predicted boxes paired with no ground truth: false alarms. */
  readonly unmatchedPredicted: readonly number[];
}

/** The IoU from which a predicted box counts as finding a ground-truth box. */
export const IOU_THRESHOLD = 0.5;

/**
 * Greedy one-to-one matching on axis-aligned IoU: of every pair at or above `threshold`, the
 * highest IoU is taken first, and each box is used at most once. Ties go to the lower indices, so
 * the result never depends on sort stability.
 */
export function matchBoxes(truth: readonly Bounds[], predicted: readonly Bounds[], threshold = IOU_THRESHOLD): BoxMatching {
  const candidates: BoxPair[] = [];
  for (const [t, truthBox] of truth.entries()) {
    for (const [p, predictedBox] of predicted.entries()) {
      const overlap = iou(truthBox, predictedBox);
      if (overlap >= threshold && overlap > 0) candidates.push({ truth: t, predicted: p, iou: overlap });
    }
  }
  candidates.sort((a, b) => b.iou - a.iou || a.truth - b.truth || a.predicted - b.predicted);
  const truthUsed = new Set<number>();
  const predictedUsed = new Set<number>();
  const pairs: BoxPair[] = [];
  for (const pair of candidates) {
    if (truthUsed.has(pair.truth) || predictedUsed.has(pair.predicted)) continue;
    truthUsed.add(pair.truth);
    predictedUsed.add(pair.predicted);
    pairs.push(pair);
  }
  pairs.sort((a, b) => a.truth - b.truth);
  return {
    pairs,
    unmatchedTruth: truth.map((_, i) => i).filter((i) => !truthUsed.has(i)),
    unmatchedPredicted: predicted.map((_, i) => i).filter((i) => !predictedUsed.has(i)),
  };
}
