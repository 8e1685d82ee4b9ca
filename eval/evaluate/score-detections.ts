/**
 * Detection scoring over a set: one-to-one matching per image, totals per background, and why
 * each missed line was missed.
 */
import type { EvalImage } from '../dataset/eval-image.js';
import { type Bounds, boundsOf } from '../metrics/boxes.js';
import { type DetectionScore, detectionScore } from '../metrics/detection-score.js';
import { matchBoxes } from '../metrics/match-boxes.js';
import { type MissCause, missCause } from '../metrics/miss-cause.js';
import type { Detection } from './run-models.js';

/** A ground-truth line's fate: the predicted box it was paired with, or why it was missed. */
export type LineMatch = { readonly predicted: number; readonly iou: number } | { readonly missed: MissCause };

/** Detection scores over all images and per background. */
export interface DetectionScores {
  readonly all: DetectionScore;
  readonly clean: DetectionScore;
  readonly noisy: DetectionScore;
  /** Mean IoU of the matched pairs; NaN when none. */
  readonly meanIou: number;
  /** Missed lines by cause. */
  readonly misses: Readonly<Record<MissCause, number>>;
}

/** Scores and, per image and line, the match. */
export interface ScoredDetections {
  readonly scores: DetectionScores;
  readonly matches: readonly (readonly LineMatch[])[];
}

/** A detection's axis-aligned bounds. */
export function boundsOfDetection(d: Detection): Bounds {
  return { x0: d.xMin, y0: d.yMin, x1: d.xMax, y1: d.yMax };
}

/** Matches `detections[i]` to the lines of `images[i]` (axis-aligned IoU >= 0.5) and totals the counts. */
export function scoreDetections(images: readonly EvalImage[], detections: readonly (readonly Detection[])[]): ScoredDetections {
  const counts = { clean: { truth: 0, predicted: 0, matched: 0 }, noisy: { truth: 0, predicted: 0, matched: 0 } };
  const misses: Record<MissCause, number> = { split: 0, loose: 0, unseen: 0 };
  let iouSum = 0;
  const matches = images.map((image, m) => {
    const truth = image.lines.map((l) => boundsOf(l.quad));
    const predicted = (detections[m] ?? []).map(boundsOfDetection);
    const matching = matchBoxes(truth, predicted);
    const c = counts[image.background];
    c.truth += truth.length;
    c.predicted += predicted.length;
    c.matched += matching.pairs.length;
    const byLine = truth.map((box): LineMatch => ({ missed: missCause(box, predicted) }));
    for (const pair of matching.pairs) {
      byLine[pair.truth] = { predicted: pair.predicted, iou: pair.iou };
      iouSum += pair.iou;
    }
    for (const match of byLine) if ('missed' in match) misses[match.missed] += 1;
    return byLine;
  });
  const { clean, noisy } = counts;
  const all = detectionScore(clean.truth + noisy.truth, clean.predicted + noisy.predicted, clean.matched + noisy.matched);
  return {
    scores: {
      all,
      clean: detectionScore(clean.truth, clean.predicted, clean.matched),
      noisy: detectionScore(noisy.truth, noisy.predicted, noisy.matched),
      meanIou: all.matched === 0 ? Number.NaN : iouSum / all.matched,
      misses,
    },
    matches,
  };
}
