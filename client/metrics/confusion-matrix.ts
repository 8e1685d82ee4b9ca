/**
 * A confusion matrix over named classes: rows are true labels, columns predicted labels.
 */

/** The matrix and what follows from it. */
export interface ConfusionMatrix {
  /** Class names, in row and column order. */
  readonly labels: readonly string[];
  /** `matrix[t][p]`: items of true class `labels[t]` predicted as `labels[p]`. */
  readonly matrix: readonly (readonly number[])[];
  readonly total: number;
  readonly correct: number;
  /** correct / total; NaN when there is nothing. */
  readonly accuracy: number;
}

/** One labelled prediction. */
export interface LabelledPrediction {
  readonly truth: string;
  readonly predicted: string;
}

/**
 * Builds the matrix. Classes are `labels` first (e.g. the model's, in its order), then any other
 * label seen in the data, in order of first appearance.
 */
export function confusionMatrix(items: Iterable<LabelledPrediction>, labels: readonly string[] = []): ConfusionMatrix {
  const order = [...new Set(labels)];
  const index = new Map(order.map((label, i) => [label, i]));
  const pairs: [number, number][] = [];
  const indexOf = (label: string): number => {
    let i = index.get(label);
    if (i === undefined) {
      i = order.length;
      order.push(label);
      index.set(label, i);
    }
    return i;
  };
  for (const item of items) pairs.push([indexOf(item.truth), indexOf(item.predicted)]);
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  let correct = 0;
  for (const [t, p] of pairs) {
    (matrix[t] as number[])[p] = ((matrix[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  return { labels: order, matrix, total: pairs.length, correct, accuracy: pairs.length === 0 ? Number.NaN : correct / pairs.length };
}
