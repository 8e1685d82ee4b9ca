import { expandPerBatch } from './expand-per-batch.js';
import { detectionFromCenter, type CenterBox, type KnownDetection } from './known-detection.js';
import { OnnxGraph } from './onnx-graph.js';

/** Side of the square model input, in pixels. */
export const YOLOV5_INPUT_SIZE = 640;
/** Class names, by class index. */
export const YOLOV5_LABELS: readonly string[] = Object.freeze(['person', 'bicycle', 'car']);
/** Number of candidate boxes (anchors) in the output. */
export const YOLOV5_BOX_COUNT = 16;

/** What a decoder with the default thresholds should do with a placed box. */
type Fate = 'kept' | 'suppressed' | 'below-threshold';

interface PlacedBox extends CenterBox {
  /** Row of the box in the output. */
  readonly anchor: number;
  readonly objectness: number;
  /** One conditional class score per class; the final score is objectness times the largest. */
  readonly scores: readonly [number, number, number];
  readonly fate: Fate;
}

// Out of score order on purpose, so that a decoder must sort before NMS.
const PLACED: readonly PlacedBox[] = [
  // 0.95 x 0.95 = 0.9025.
  { anchor: 1, cx: 320, cy: 240, w: 160, h: 240, objectness: 0.95, scores: [0.95, 0.02, 0], fate: 'kept' },
  // 0.81; overlaps the 0.9025 person with IoU 0.82: suppressed.
  { anchor: 4, cx: 330, cy: 250, w: 160, h: 240, objectness: 0.9, scores: [0.9, 0, 0], fate: 'suppressed' },
  // 0.72; overlaps the 0.9025 person with IoU 0.92, but is a bicycle: NMS must not merge it.
  { anchor: 6, cx: 320, cy: 250, w: 160, h: 240, objectness: 0.9, scores: [0.1, 0.8, 0], fate: 'kept' },
  // 0.6, far from everything.
  { anchor: 10, cx: 80, cy: 560, w: 100, h: 120, objectness: 0.8, scores: [0, 0, 0.75], fate: 'kept' },
  // A confident class under low objectness: 0.2 x 0.9 = 0.18.
  { anchor: 12, cx: 560, cy: 100, w: 80, h: 60, objectness: 0.2, scores: [0.9, 0, 0], fate: 'below-threshold' },
  // Both factors pass 0.25 on their own, their product 0.4 x 0.5 = 0.2 does not.
  { anchor: 13, cx: 560, cy: 300, w: 60, h: 60, objectness: 0.4, scores: [0, 0, 0.5], fate: 'below-threshold' },
  // Confident objectness with a weak class: 0.9 x 0.1 = 0.09.
  { anchor: 14, cx: 100, cy: 100, w: 50, h: 50, objectness: 0.9, scores: [0, 0.1, 0], fate: 'below-threshold' },
];

/**
 * One row per anchor, as the output `output0` `[boxes, 5 + classes]` holds it: `cx, cy, w, h` in
 * model-input pixels, objectness, then one conditional score per class. Anchors without a placed
 * box hold a small box near the bottom edge with objectness 0.01 and a confident class score
 * (0.9), so a decoder that forgets to multiply by objectness reports them.
 */
export const YOLOV5_ROWS: readonly (readonly number[])[] = Object.freeze(
  Array.from({ length: YOLOV5_BOX_COUNT }, (_, anchor) => {
    const placed = PLACED.find((box) => box.anchor === anchor);
    if (placed) {
      return Object.freeze([placed.cx, placed.cy, placed.w, placed.h, placed.objectness, ...placed.scores]);
    }
    const scores = YOLOV5_LABELS.map((_label, classIndex) => (classIndex === anchor % 3 ? 0.9 : 0));
    return Object.freeze([20 + 40 * anchor, 620, 24, 24, 0.01, ...scores]);
  }),
);

function detectionsWithFate(fate: Fate): readonly KnownDetection[] {
  const found = PLACED.filter((box) => box.fate === fate).map((box) => {
    const best = Math.max(...box.scores);
    return detectionFromCenter(box, box.scores.indexOf(best), box.objectness * best);
  });
  return Object.freeze(found.sort((a, b) => b.score - a.score));
}

/** Detections a decoder keeps with the default thresholds, best score first. */
export const YOLOV5_EXPECTED_DETECTIONS = detectionsWithFate('kept');
/** Detections above the score threshold that class-aware NMS removes. */
export const YOLOV5_SUPPRESSED_DETECTIONS = detectionsWithFate('suppressed');
/**
 * Placed detections whose objectness times best class score is below the score threshold (the
 * background anchors of {@link YOLOV5_ROWS} are not listed).
 */
export const YOLOV5_BELOW_THRESHOLD_DETECTIONS = detectionsWithFate('below-threshold');

/**
 * Builds a model laid out like a YOLOv5 detection export: `images` float32 `[batch, 3, 640, 640]`
 * in, `output0` float32 `[batch, 16, 5 + 3]` out, with objectness. The output is the same for
 * every image (see {@link YOLOV5_ROWS}), so decoders and NMS can be checked against
 * {@link YOLOV5_EXPECTED_DETECTIONS}.
 */
export function buildYolov5LayoutModel(): Uint8Array {
  const graph = new OnnxGraph('yolov5-layout');
  const size = YOLOV5_INPUT_SIZE;
  const images = graph.input('images', 'float32', ['batch', 3, size, size]);
  const width = 5 + YOLOV5_LABELS.length;
  expandPerBatch(graph, images, {
    output: graph.output('output0', 'float32', ['batch', YOLOV5_BOX_COUNT, width]),
    type: 'float32',
    dims: [YOLOV5_BOX_COUNT, width],
    values: YOLOV5_ROWS.flat(),
  });
  return graph.toModel({ docString: 'YOLOv5 output layout (with objectness) with constant, known boxes.' });
}
