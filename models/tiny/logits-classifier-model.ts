import { expandPerBatch } from './expand-per-batch.js';
import { OnnxGraph } from './onnx-graph.js';

/** Side of the square model input, in pixels. */
export const LOGITS_CLASSIFIER_INPUT_SIZE = 32;
/** Class names, by class index. */
export const LOGITS_CLASSIFIER_LABELS: readonly string[] = Object.freeze(['apple', 'banana', 'cherry', 'date']);
/**
 * The raw logits every image gets. Unnormalised, and with a negative one, so a server must apply
 * softmax itself; the runner-up (index 1) is close enough to matter for top-k.
 */
export const LOGITS_CLASSIFIER_LOGITS: readonly number[] = Object.freeze([2, 0.5, -1, 0.1]);

/** Softmax of {@link LOGITS_CLASSIFIER_LOGITS}, in double precision: about 0.703, 0.157, 0.035, 0.105. */
export const LOGITS_CLASSIFIER_PROBABILITIES: readonly number[] = Object.freeze(
  softmax(LOGITS_CLASSIFIER_LOGITS),
);

function softmax(logits: readonly number[]): number[] {
  // Subtracting the largest logit keeps exp() from overflowing; the result is unchanged.
  const top = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

/**
 * Builds an image classifier that outputs logits, not probabilities: `input` float32
 * `[batch, 3, 32, 32]` in, `logits` float32 `[batch, 4]` out, every row equal to
 * {@link LOGITS_CLASSIFIER_LOGITS}.
 */
export function buildLogitsClassifierModel(): Uint8Array {
  const graph = new OnnxGraph('logits-classifier');
  const size = LOGITS_CLASSIFIER_INPUT_SIZE;
  const input = graph.input('input', 'float32', ['batch', 3, size, size]);
  const classes = LOGITS_CLASSIFIER_LABELS.length;
  expandPerBatch(graph, input, {
    output: graph.output('logits', 'float32', ['batch', classes]),
    type: 'float32',
    dims: [classes],
    values: LOGITS_CLASSIFIER_LOGITS,
  });
  return graph.toModel({ docString: 'Constant classifier logits [2, 0.5, -1, 0.1].' });
}
