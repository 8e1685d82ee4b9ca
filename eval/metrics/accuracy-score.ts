/**
 * Accuracy of a labelling: how many answers equal the truth.
 */
import { ratio } from './ratio.js';

/** Counts and their ratio. */
export interface AccuracyScore {
  readonly total: number;
  readonly correct: number;
  /** correct / total; NaN for no items. */
  readonly accuracy: number;
}

/** Accuracy of `(truth, answer)` pairs, compared with `===`. */
export function accuracyScore<T>(pairs: Iterable<readonly [truth: T, answer: T]>): AccuracyScore {
  let total = 0;
  let correct = 0;
  for (const [truth, answer] of pairs) {
    total += 1;
    if (truth === answer) correct += 1;
  }
  return { total, correct, accuracy: ratio(correct, total) };
}
