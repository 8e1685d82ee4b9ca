import type { Classification, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { type ClassificationPostprocessor, ScoreActivation } from '../../../gen/ts/sluice/v1/model_config.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';

const DEFAULT_TOP_K = 5;

/**
 * Top-k classes of a `[1, classes]` output (trailing dimensions of 1, as in `[1, classes, 1, 1]`,
 * are accepted too), scored by `options.activation`:
 *
 * - NONE: the raw values.
 * - SOFTMAX (also the legacy `softmax: true`): probabilities over all classes, computed stably
 *   (shifted by the maximum logit).
 * - SIGMOID: each class's own probability, for multi-label models.
 * - UNSPECIFIED: decided per item, as the proto says: values that all lie in [0, 1] are already
 *   probabilities and are used as they are; otherwise they are logits and get a softmax.
 *
 * Every activation is monotonic, so the top k are picked on the raw values and only they are
 * transformed. Sorted by score, highest first, ties by class index; NaN is never picked; a class
 * without a label is labelled with its index.
 */
export function classify(
  tensor: OutputTensor,
  options: ClassificationPostprocessor,
  labels: readonly string[],
): Partial<Prediction> {
  checkItemTensor(tensor, Math.max(2, tensor.dims.length), 'classification expects [1, classes]');
  const values = tensor.data;
  const classes = values.length;
  const k = Math.min(options.topK > 0 ? options.topK : DEFAULT_TOP_K, classes);

  // Keep the k best in a small sorted array: k is small, so this beats sorting every class.
  // Scanning in index order and inserting only on a strictly greater value keeps ties by index.
  const topIndex = new Int32Array(k);
  const topValue = new Float64Array(k).fill(-Infinity);
  let filled = 0;
  let max = -Infinity;
  let probabilities = true;
  for (let i = 0; i < classes; i++) {
    const v = values[i];
    if (v > max) max = v;
    if (!(v >= 0 && v <= 1)) probabilities = false;
    if (filled === k && !(v > topValue[k - 1])) continue;
    if (Number.isNaN(v)) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && v > topValue[j - 1]) {
      topValue[j] = topValue[j - 1];
      topIndex[j] = topIndex[j - 1];
      j--;
    }
    topValue[j] = v;
    topIndex[j] = i;
  }

  const score = scorer(activationOf(options, probabilities), values, max);
  const result: Classification[] = [];
  for (let j = 0; j < filled; j++) {
    const index = topIndex[j];
    result.push({ index, label: labels[index] ?? String(index), score: score(topValue[j]) });
  }
  return { classes: result };
}

type Activation = ScoreActivation.SCORE_ACTIVATION_NONE | ScoreActivation.SCORE_ACTIVATION_SOFTMAX | ScoreActivation.SCORE_ACTIVATION_SIGMOID;

/** The activation to apply to this item; `probabilities` says whether every value is in [0, 1]. */
function activationOf(options: ClassificationPostprocessor, probabilities: boolean): Activation {
  switch (options.activation) {
    case ScoreActivation.SCORE_ACTIVATION_NONE:
    case ScoreActivation.SCORE_ACTIVATION_SOFTMAX:
    case ScoreActivation.SCORE_ACTIVATION_SIGMOID:
      return options.activation;
    default:
      // UNSPECIFIED (and a value from a newer proto): the legacy flag, else the values decide.
      if (options.softmax) return ScoreActivation.SCORE_ACTIVATION_SOFTMAX;
      return probabilities ? ScoreActivation.SCORE_ACTIVATION_NONE : ScoreActivation.SCORE_ACTIVATION_SOFTMAX;
  }
}

/** Maps a raw value to its score; softmax needs every value and their maximum for its denominator. */
function scorer(activation: Activation, values: Float32Array, max: number): (v: number) => number {
  switch (activation) {
    case ScoreActivation.SCORE_ACTIVATION_NONE:
      return (v) => v;
    case ScoreActivation.SCORE_ACTIVATION_SIGMOID:
      return sigmoid;
    case ScoreActivation.SCORE_ACTIVATION_SOFTMAX: {
      let denominator = 0;
      for (let i = 0; i < values.length; i++) denominator += Math.exp(values[i] - max);
      return (v) => Math.exp(v - max) / denominator;
    }
  }
}

/** 1 / (1 + e^-v), written for negative v so that e^-v cannot overflow to Infinity. */
function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
