/**
 * Detection precision, recall and F1 from matched counts.
 */

/** Counts of a detection run, and the scores they give. */
export interface DetectionScore {
  /** Ground-truth boxes. */
  readonly truth: number;
  /** Predicted boxes. */
  readonly predicted: number;
  /** Pairs of the one-to-one matching. */
  readonly matched: number;
  /** matched / predicted; 1 when nothing was predicted and nothing was there, 0 when something was missed. */
  readonly precision: number;
  /** matched / truth; 1 when there was nothing to find. */
  readonly recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  readonly f1: number;
}

/** Scores from counts summed over any number of images. */
export function detectionScore(truth: number, predicted: number, matched: number): DetectionScore {
  if (matched > truth || matched > predicted) throw new RangeError(`${matched} matches cannot come from ${truth} true and ${predicted} predicted boxes`);
  const precision = predicted === 0 ? (truth === 0 ? 1 : 0) : matched / predicted;
  const recall = truth === 0 ? 1 : matched / truth;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truth, predicted, matched, precision, recall, f1 };
}
