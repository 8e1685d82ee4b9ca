import { expandPerBatch } from './expand-per-batch.js';
import { OnnxGraph } from './onnx-graph.js';

/** Side of the square model input and of the logits map, in pixels. */
export const SEGMENTATION_INPUT_SIZE = 64;
/** Class names, by class index (the channel of `logits`). */
export const SEGMENTATION_LABELS: readonly string[] = Object.freeze(['background', 'left', 'top-right']);
/** Logit of a pixel's own class; every other class gets 0, so softmax gives it about 0.99991. */
export const SEGMENTATION_WINNING_LOGIT = 10;

/** Columns left of this are `left`. */
const LEFT_END = 24;
/** Columns from this on, in rows above {@link TOP_END}, are `top-right`. */
const RIGHT_START = 40;
const TOP_END = 32;

/**
 * The class the model gives the model-input pixel containing point `(x, y)`: `left` (1) where
 * `x < 24`, `top-right` (2) where `x >= 40` and `y < 32`, `background` (0) elsewhere. Pixel
 * `(col, row)` covers `[col, col + 1) x [row, row + 1)`, so integer pixel indices work as well as
 * mapped, fractional coordinates.
 *
 * @throws RangeError for a point outside the 64 x 64 map.
 */
export function expectedSegmentationClass(x: number, y: number): number {
  const size = SEGMENTATION_INPUT_SIZE;
  if (!(x >= 0 && x < size && y >= 0 && y < size)) {
    throw new RangeError(`point (${x}, ${y}) is outside the ${size} x ${size} segmentation map`);
  }
  if (x < LEFT_END) {
    return 1;
  }
  return x >= RIGHT_START && y < TOP_END ? 2 : 0;
}

/**
 * Builds a semantic segmentation model: `pixel_values` float32 `[batch, 3, 64, 64]` in, `logits`
 * float32 `[batch, 3, 64, 64]` out, one channel per class of {@link SEGMENTATION_LABELS}. Every
 * image gets the same map, described by {@link expectedSegmentationClass}; the map is not
 * symmetric in x or y, so a flipped or transposed mask is caught.
 */
export function buildSegmentationModel(): Uint8Array {
  const graph = new OnnxGraph('segmentation');
  const size = SEGMENTATION_INPUT_SIZE;
  const classes = SEGMENTATION_LABELS.length;
  const pixels = graph.input('pixel_values', 'float32', ['batch', 3, size, size]);
  const values: number[] = [];
  for (let channel = 0; channel < classes; channel++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        values.push(expectedSegmentationClass(x, y) === channel ? SEGMENTATION_WINNING_LOGIT : 0);
      }
    }
  }
  expandPerBatch(graph, pixels, {
    output: graph.output('logits', 'float32', ['batch', classes, size, size]),
    type: 'float32',
    dims: [classes, size, size],
    values,
  });
  return graph.toModel({ docString: 'Constant segmentation logits: left band, top-right block, background.' });
}
