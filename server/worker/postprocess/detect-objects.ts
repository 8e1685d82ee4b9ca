import { SluiceError } from '../../errors.js';
import type { Detection, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { BoxFormat, DetectionLayout, type DetectionPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import { toOriginal } from '../preprocess/image-geometry.js';
import {
  resolveDetectionOutputs,
  type DetectionOutputShape,
  type ResolvedDetectionOutputs,
} from './detection-outputs.js';
import { nonMaxSuppression, type BoxCandidates } from './non-max-suppression.js';
import { checkItemTensor, type OutputTensor } from './output-tensor.js';
import type { PostprocessContext } from './postprocess.js';

const DEFAULT_SCORE_THRESHOLD = 0.25;
const DEFAULT_IOU_THRESHOLD = 0.45;
const DEFAULT_MAX_DETECTIONS = 300;

/**
 * Object detection over one item's outputs, in any of the `DetectionLayout`s (an unspecified
 * layout is guessed from the outputs' dims with `resolveDetectionOutputs`, as at load time):
 *
 * 1. each box takes its best class; its score is that class's score (times objectness for
 *    YOLOV5) and must reach `score_threshold` (NaN never does);
 * 2. the box goes from `box_format` to corners in model-input pixels (scaled by the input size
 *    when `normalized_boxes`), then through the geometry to the original image, clamped to it;
 *    a box with no area left is dropped;
 * 3. greedy non-maximum suppression, per class unless `class_agnostic`, keeps at most
 *    `max_detections` boxes, best first.
 *
 * Suppression runs after the mapping so that `max_detections` counts only boxes that survive
 * clamping; the mapping scales each axis by one factor, which leaves IoU unchanged.
 *
 * Outputs that fit no layout, or a guess that cannot be made, are INTERNAL: the configuration or
 * the model is at fault, not the request.
 */
export function detectObjects(
  outputs: ReadonlyMap<string, OutputTensor>,
  options: DetectionPostprocessor,
  context: PostprocessContext,
): Partial<Prediction> {
  const resolved = resolveDetectionOutputs(options, shapesOf(outputs, context.outputNames));
  if (!resolved.ok) throw new SluiceError('INTERNAL', `detection: ${resolved.reason}`);
  const threshold = options.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
  const candidates = new CandidateList(boxFormatOf(options, resolved.layout), options.normalizedBoxes, context);

  const tensor = (name: string | undefined): OutputTensor => {
    const found = name === undefined ? undefined : outputs.get(name);
    // resolveDetectionOutputs only names outputs it was given.
    if (found === undefined) throw new SluiceError('INTERNAL', `detection: output ${name ?? ''} is missing`);
    return found;
  };
  switch (resolved.layout) {
    case DetectionLayout.DETECTION_LAYOUT_YOLOV5:
      readYoloV5(tensor(resolved.output), threshold, candidates);
      break;
    case DetectionLayout.DETECTION_LAYOUT_YOLOV8:
      readYoloV8(tensor(resolved.output), threshold, candidates);
      break;
    default:
      readBoxesScoresClasses(resolved, tensor, threshold, candidates);
      break;
  }

  const kept = nonMaxSuppression(candidates, {
    iouThreshold: options.iouThreshold ?? DEFAULT_IOU_THRESHOLD,
    maxDetections: options.maxDetections > 0 ? options.maxDetections : DEFAULT_MAX_DETECTIONS,
    classAgnostic: options.classAgnostic,
  });
  const detections: Detection[] = [];
  for (const i of kept) {
    const xMin = candidates.boxes[4 * i];
    const yMin = candidates.boxes[4 * i + 1];
    const xMax = candidates.boxes[4 * i + 2];
    const yMax = candidates.boxes[4 * i + 3];
    const classIndex = candidates.classes[i];
    detections.push({
      xMin,
      yMin,
      xMax,
      yMax,
      polygon: [
        { x: xMin, y: yMin },
        { x: xMax, y: yMin },
        { x: xMax, y: yMax },
        { x: xMin, y: yMax },
      ],
      score: candidates.scores[i],
      classIndex,
      label: context.labels[classIndex] ?? String(classIndex),
      text: '',
      textScore: 0,
    });
  }
  return { detections };
}

/** The outputs' runtime dims in model order, as `resolveDetectionOutputs` reads shapes. */
function shapesOf(outputs: ReadonlyMap<string, OutputTensor>, order: readonly string[]): DetectionOutputShape[] {
  const names = [...order.filter((n) => outputs.has(n)), ...[...outputs.keys()].filter((n) => !order.includes(n))];
  return names.map((name) => ({ name, shape: outputs.get(name)?.dims ?? [] }));
}

function boxFormatOf(options: DetectionPostprocessor, layout: DetectionLayout): BoxFormat {
  switch (options.boxFormat) {
    case BoxFormat.BOX_FORMAT_UNSPECIFIED:
      return layout === DetectionLayout.DETECTION_LAYOUT_BOXES_SCORES_CLASSES
        ? BoxFormat.BOX_FORMAT_XYXY
        : BoxFormat.BOX_FORMAT_CXCYWH;
    case BoxFormat.BOX_FORMAT_XYXY:
    case BoxFormat.BOX_FORMAT_CXCYWH:
    case BoxFormat.BOX_FORMAT_XYWH:
    case BoxFormat.BOX_FORMAT_YXYX:
      return options.boxFormat;
    default:
      throw new SluiceError('INTERNAL', `detection: box_format ${String(options.boxFormat)} is not a known box format`);
  }
}

/** `[1, boxes, 5 + classes]`: rows of cx, cy, w, h, objectness, class scores. */
function readYoloV5(tensor: OutputTensor, threshold: number, out: CandidateList): void {
  const what = 'detection YOLOV5 expects [1, boxes, 5 + classes]';
  const [, count, columns] = checkItemTensor(tensor, 3, what) as [number, number, number];
  const data = tensor.data;
  for (let i = 0; i < count; i++) {
    const row = i * columns;
    const objectness = data[row + 4];
    // Class scores are probabilities, so a box whose objectness misses the threshold cannot
    // reach it; skipping it early is what makes 25200 rows cheap.
    if (!(objectness >= threshold)) continue;
    let best = -Infinity;
    let bestClass = 0;
    for (let c = 5; c < columns; c++) {
      if (data[row + c] > best) {
        best = data[row + c];
        bestClass = c - 5;
      }
    }
    const score = objectness * best;
    if (score >= threshold) out.push(data[row], data[row + 1], data[row + 2], data[row + 3], score, bestClass);
  }
}

/** `[1, 4 + classes, boxes]`: one column per box. */
function readYoloV8(tensor: OutputTensor, threshold: number, out: CandidateList): void {
  const what = 'detection YOLOV8 expects [1, 4 + classes, boxes]';
  const [, rows, count] = checkItemTensor(tensor, 3, what) as [number, number, number];
  const data = tensor.data;
  // Class by class, so that the reads run along memory rather than striding across it.
  const best = new Float32Array(count).fill(-Infinity);
  const bestClass = new Int32Array(count);
  for (let c = 0; c < rows - 4; c++) {
    const base = (4 + c) * count;
    for (let j = 0; j < count; j++) {
      if (data[base + j] > best[j]) {
        best[j] = data[base + j];
        bestClass[j] = c;
      }
    }
  }
  for (let j = 0; j < count; j++) {
    if (best[j] >= threshold) {
      out.push(data[j], data[count + j], data[2 * count + j], data[3 * count + j], best[j], bestClass[j]);
    }
  }
}

/** Boxes `[1, K, 4]` with scores `[1, K]` and classes `[1, K]`, or scores `[1, K, classes]`. */
function readBoxesScoresClasses(
  resolved: ResolvedDetectionOutputs,
  tensor: (name: string | undefined) => OutputTensor,
  threshold: number,
  out: CandidateList,
): void {
  const boxes = tensor(resolved.boxes);
  const scores = tensor(resolved.scores);
  const [, count] = checkItemTensor(boxes, 3, 'detection expects boxes [1, K, 4]');
  const b = boxes.data;
  if (resolved.classes === undefined) {
    const what = 'detection expects scores [1, K, classes]';
    const [, , columns] = checkItemTensor(scores, 3, what) as [number, number, number];
    const s = scores.data;
    for (let i = 0; i < count; i++) {
      let best = -Infinity;
      let bestClass = 0;
      for (let c = 0; c < columns; c++) {
        if (s[i * columns + c] > best) {
          best = s[i * columns + c];
          bestClass = c;
        }
      }
      if (best >= threshold) out.push(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], best, bestClass);
    }
    return;
  }
  const classes = tensor(resolved.classes);
  checkItemTensor(scores, 2, 'detection expects scores [1, K]');
  checkItemTensor(classes, 2, 'detection expects classes [1, K]');
  for (let i = 0; i < count; i++) {
    const score = scores.data[i];
    const classIndex = Math.round(classes.data[i]);
    // Exports with NMS inside pad their fixed K rows with class -1.
    if (score >= threshold && classIndex >= 0 && classIndex <= 0x7fffffff) {
      out.push(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], score, classIndex);
    }
  }
}

/**
 * Boxes above the threshold, already in original-image corners: a growable struct of arrays, so
 * that tens of thousands of rows cost no object each.
 */
class CandidateList implements BoxCandidates {
  count = 0;
  boxes = new Float64Array(4 * 64);
  scores = new Float64Array(64);
  classes = new Int32Array(64);
  readonly #format: BoxFormat;
  readonly #scaleX: number;
  readonly #scaleY: number;
  readonly #context: PostprocessContext;
  readonly #limitX: number;
  readonly #limitY: number;

  constructor(format: BoxFormat, normalized: boolean, context: PostprocessContext) {
    this.#format = format;
    this.#context = context;
    // Without a known input size, normalized boxes stay fractions.
    this.#scaleX = normalized ? (context.inputWidth ?? 1) : 1;
    this.#scaleY = normalized ? (context.inputHeight ?? 1) : 1;
    const g = context.geometry;
    this.#limitX = g ? g.originalWidth : normalized ? this.#scaleX : (context.inputWidth ?? Infinity);
    this.#limitY = g ? g.originalHeight : normalized ? this.#scaleY : (context.inputHeight ?? Infinity);
  }

  /** Adds a box given as four numbers in the model's format, unless nothing of it is in the image. */
  push(a: number, b: number, c: number, d: number, score: number, classIndex: number): void {
    let x1: number, y1: number, x2: number, y2: number;
    switch (this.#format) {
      case BoxFormat.BOX_FORMAT_CXCYWH:
        [x1, y1, x2, y2] = [a - c / 2, b - d / 2, a + c / 2, b + d / 2];
        break;
      case BoxFormat.BOX_FORMAT_XYWH:
        [x1, y1, x2, y2] = [a, b, a + c, b + d];
        break;
      case BoxFormat.BOX_FORMAT_YXYX:
        [x1, y1, x2, y2] = [b, a, d, c];
        break;
      default:
        [x1, y1, x2, y2] = [a, b, c, d];
        break;
    }
    const g = this.#context.geometry;
    // Corners may come swapped from a model; the mapping keeps their order (positive scales).
    let xMin = Math.min(x1, x2) * this.#scaleX;
    let xMax = Math.max(x1, x2) * this.#scaleX;
    let yMin = Math.min(y1, y2) * this.#scaleY;
    let yMax = Math.max(y1, y2) * this.#scaleY;
    if (g) {
      const topLeft = toOriginal(xMin, yMin, g);
      const bottomRight = toOriginal(xMax, yMax, g);
      [xMin, yMin, xMax, yMax] = [topLeft.x, topLeft.y, bottomRight.x, bottomRight.y];
    }
    xMin = Math.max(0, xMin);
    yMin = Math.max(0, yMin);
    xMax = Math.min(this.#limitX, xMax);
    yMax = Math.min(this.#limitY, yMax);
    // Also drops NaN coordinates.
    if (!(xMax > xMin && yMax > yMin)) return;

    if (this.count === this.scores.length) this.#grow();
    const n = this.count++;
    this.boxes[4 * n] = xMin;
    this.boxes[4 * n + 1] = yMin;
    this.boxes[4 * n + 2] = xMax;
    this.boxes[4 * n + 3] = yMax;
    this.scores[n] = score;
    this.classes[n] = classIndex;
  }

  #grow(): void {
    const grow = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.boxes = grow(this.boxes, new Float64Array(this.boxes.length * 2));
    this.scores = grow(this.scores, new Float64Array(this.scores.length * 2));
    this.classes = grow(this.classes, new Int32Array(this.classes.length * 2));
  }
}
