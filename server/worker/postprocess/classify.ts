import type { Classification, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { ClassificationPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';

const DEFAULT_TOP_K = 5;

/**
 * Top-k classes of a `[1, classes]` output (trailing dimensions of 1, as in `[1, classes, 1, 1]`,
 * are accepted too). With `options.softmax` the scores are softmax probabilities, computed stably
 * (shifted by the maximum logit); otherwise they are the raw values. Sorted by score, highest
 * first, ties by class index; a class without a label is labelled with its index.
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
  for (let i = 0; i < classes; i++) {
    const v = values[i];
    if (v > max) max = v;
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

  let denominator = 1;
  if (options.softmax) {
    denominator = 0;
    for (let i = 0; i < classes; i++) denominator += Math.exp(values[i] - max);
  }
  const result: Classification[] = [];
  for (let j = 0; j < filled; j++) {
    const index = topIndex[j];
    const score = options.softmax ? Math.exp(topValue[j] - max) / denominator : topValue[j];
    result.push({ index, label: labels[index] ?? String(index), score });
  }
  return { classes: result };
}
