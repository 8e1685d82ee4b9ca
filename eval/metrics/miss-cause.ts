/**
 * Why a ground-truth box found no match: a detector that answers boxes looser than the ink, or
 * that cuts a line at its word gaps, misses the line at IoU 0.5 while still seeing its text.
 */
import { type Bounds, area, intersectionArea } from './boxes.js';

/**
 * - `split`: the centres of two or more predicted boxes lie inside the line's box (cut at word gaps);
 * - `loose`: one predicted box covers at least 90% of the line's box, at too low an IoU;
 * - `unseen`: neither.
 */
export type MissCause = 'split' | 'loose' | 'unseen';

/** Share of the truth's area a prediction must cover for a miss to count as `loose`. */
export const LOOSE_COVERAGE = 0.9;

/** Why `truth`, which no prediction matched, was missed. */
export function missCause(truth: Bounds, predicted: readonly Bounds[]): MissCause {
  const inside = predicted.filter((p) => {
    const cx = (p.x0 + p.x1) / 2;
    const cy = (p.y0 + p.y1) / 2;
    return cx >= truth.x0 && cx < truth.x1 && cy >= truth.y0 && cy < truth.y1;
  });
  if (inside.length >= 2) return 'split';
  const truthArea = area(truth);
  const covered = truthArea > 0 && predicted.some((p) => intersectionArea(p, truth) / truthArea >= LOOSE_COVERAGE);
  return covered ? 'loose' : 'unseen';
}
