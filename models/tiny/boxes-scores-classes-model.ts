import { expandPerBatch } from './expand-per-batch.js';
import type { KnownDetection } from './known-detection.js';
import { OnnxGraph } from './onnx-graph.js';

/** Side of the square model input, in pixels. */
export const BOXES_SCORES_CLASSES_INPUT_SIZE = 320;
/** Class names, by class index. */
export const BOXES_SCORES_CLASSES_LABELS: readonly string[] = Object.freeze(['cat', 'dog', 'bird']);
/** Number of detection slots per image, used or not. */
export const BOXES_SCORES_CLASSES_SLOTS = 5;

/**
 * The slots, in output order, as an exporter with NMS inside the graph writes them: best first,
 * then a detection below the usual 0.25 score threshold, then an unused slot padded with zeros.
 * The kept boxes overlap by IoU 0 or 0.14, well under 0.45, so running NMS again changes nothing.
 */
export const BOXES_SCORES_CLASSES_SLOT_VALUES: readonly KnownDetection[] = Object.freeze([
  { xMin: 20, yMin: 30, xMax: 120, yMax: 150, classIndex: 2, score: 0.92 },
  { xMin: 200, yMin: 40, xMax: 300, yMax: 140, classIndex: 0, score: 0.75 },
  { xMin: 60, yMin: 100, xMax: 160, yMax: 220, classIndex: 1, score: 0.4 },
  { xMin: 250, yMin: 250, xMax: 310, yMax: 310, classIndex: 0, score: 0.1 },
  { xMin: 0, yMin: 0, xMax: 0, yMax: 0, classIndex: 0, score: 0 },
]);

/** Detections a decoder keeps with a 0.25 score threshold, best first. */
export const BOXES_SCORES_CLASSES_EXPECTED_DETECTIONS: readonly KnownDetection[] = Object.freeze(
  BOXES_SCORES_CLASSES_SLOT_VALUES.filter((slot) => slot.score >= 0.25),
);

/**
 * Builds a model with post-NMS outputs, as many detection exports with NMS inside do: `images`
 * float32 `[batch, 3, 320, 320]` in; `boxes` float32 `[batch, 5, 4]` (x_min, y_min, x_max, y_max
 * in model-input pixels), `scores` float32 `[batch, 5]` and `classes` int64 `[batch, 5]` out. Every
 * image gets {@link BOXES_SCORES_CLASSES_SLOT_VALUES}.
 */
export function buildBoxesScoresClassesModel(): Uint8Array {
  const graph = new OnnxGraph('boxes-scores-classes');
  const size = BOXES_SCORES_CLASSES_INPUT_SIZE;
  const images = graph.input('images', 'float32', ['batch', 3, size, size]);
  const slots = BOXES_SCORES_CLASSES_SLOT_VALUES;
  const k = BOXES_SCORES_CLASSES_SLOTS;
  expandPerBatch(graph, images, {
    output: graph.output('boxes', 'float32', ['batch', k, 4]),
    type: 'float32',
    dims: [k, 4],
    values: slots.flatMap((slot) => [slot.xMin, slot.yMin, slot.xMax, slot.yMax]),
  });
  expandPerBatch(graph, images, {
    output: graph.output('scores', 'float32', ['batch', k]),
    type: 'float32',
    dims: [k],
    values: slots.map((slot) => slot.score),
  });
  expandPerBatch(graph, images, {
    output: graph.output('classes', 'int64', ['batch', k]),
    type: 'int64',
    dims: [k],
    values: slots.map((slot) => slot.classIndex),
  });
  return graph.toModel({ docString: 'Post-NMS boxes, scores and int64 classes with constant, known values.' });
}
