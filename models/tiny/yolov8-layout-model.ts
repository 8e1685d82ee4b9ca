import { expandPerBatch } from './expand-per-batch.js';
import { detectionFromCenter, type CenterBox, type KnownDetection } from './known-detection.js';
import { OnnxGraph } from './onnx-graph.js';

/** Side of the square model input, in pixels. */
export const YOLOV8_INPUT_SIZE = 640;
/** Class names, by class index. */
export const YOLOV8_LABELS: readonly string[] = Object.freeze(['cat', 'dog', 'bird']);
/** Number of candidate boxes (anchors) in the output. */
export const YOLOV8_BOX_COUNT = 16;

/** What a decoder with the default thresholds should do with a placed box. */
type Fate = 'kept' | 'suppressed' | 'below-threshold';

interface PlacedBox extends CenterBox {
  /** Column of the box in the output. */
  readonly anchor: number;
  /** One score per class; the largest decides the class. */
  readonly scores: readonly [number, number, number];
  readonly fate: Fate;
}

// Out of score order on purpose, so that a decoder must sort before NMS. Small second-class scores
// make the rows look like a real head's and stay below the score threshold.
const PLACED: readonly PlacedBox[] = [
  // Overlaps the 0.9 cat with IoU 0.82: suppressed.
  { anchor: 3, cx: 210, cy: 210, w: 200, h: 200, scores: [0.8, 0, 0.02], fate: 'suppressed' },
  // Far from everything.
  { anchor: 5, cx: 525, cy: 480, w: 150, h: 160, scores: [0, 0.03, 0.6], fate: 'kept' },
  { anchor: 7, cx: 200, cy: 200, w: 200, h: 200, scores: [0.9, 0.05, 0], fate: 'kept' },
  { anchor: 9, cx: 440, cy: 80, w: 80, h: 80, scores: [0.1, 0, 0], fate: 'below-threshold' },
  // Overlaps the 0.9 cat with IoU 0.95, but is a dog: NMS must not merge across classes.
  { anchor: 11, cx: 205, cy: 200, w: 200, h: 200, scores: [0.15, 0.7, 0], fate: 'kept' },
];

/**
 * One row per anchor: `cx, cy, w, h` in model-input pixels, then one score per class. The output
 * `output0` holds the transpose of this table, `[4 + classes, boxes]`, as YOLOv8 exports do.
 * Anchors without a placed box keep a small box near the bottom edge and all-zero scores.
 */
export const YOLOV8_ROWS: readonly (readonly number[])[] = Object.freeze(
  Array.from({ length: YOLOV8_BOX_COUNT }, (_, anchor) => {
    const placed = PLACED.find((box) => box.anchor === anchor);
    return Object.freeze(
      placed
        ? [placed.cx, placed.cy, placed.w, placed.h, ...placed.scores]
        : [20 + 40 * anchor, 620, 24, 24, 0, 0, 0],
    );
  }),
);

function detectionsWithFate(fate: Fate): readonly KnownDetection[] {
  const found = PLACED.filter((box) => box.fate === fate).map((box) => {
    const score = Math.max(...box.scores);
    return detectionFromCenter(box, box.scores.indexOf(score), score);
  });
  return Object.freeze(found.sort((a, b) => b.score - a.score));
}

/** Detections a decoder keeps with the default thresholds, best score first. */
export const YOLOV8_EXPECTED_DETECTIONS = detectionsWithFate('kept');
/** Detections above the score threshold that class-aware NMS removes. */
export const YOLOV8_SUPPRESSED_DETECTIONS = detectionsWithFate('suppressed');
/** Detections whose best class score is below the score threshold. */
export const YOLOV8_BELOW_THRESHOLD_DETECTIONS = detectionsWithFate('below-threshold');

/**
 * Builds a model laid out like an Ultralytics YOLOv8 detection export: `images` float32
 * `[batch, 3, 640, 640]` in, `output0` float32 `[batch, 4 + 3, 16]` out. The output is the same
 * for every image (see {@link YOLOV8_ROWS}), so decoders and NMS can be checked against
 * {@link YOLOV8_EXPECTED_DETECTIONS}.
 */
export function buildYolov8LayoutModel(): Uint8Array {
  const graph = new OnnxGraph('yolov8-layout');
  const size = YOLOV8_INPUT_SIZE;
  const images = graph.input('images', 'float32', ['batch', 3, size, size]);
  const channels = 4 + YOLOV8_LABELS.length;
  const values: number[] = [];
  for (let channel = 0; channel < channels; channel++) {
    for (const row of YOLOV8_ROWS) {
      values.push(row[channel] ?? 0);
    }
  }
  expandPerBatch(graph, images, {
    output: graph.output('output0', 'float32', ['batch', channels, YOLOV8_BOX_COUNT]),
    type: 'float32',
    dims: [channels, YOLOV8_BOX_COUNT],
    values,
  });
  return graph.toModel({ docString: 'YOLOv8 output layout with constant, known boxes.' });
}
