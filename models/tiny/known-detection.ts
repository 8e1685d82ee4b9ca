/**
 * One detection a known-answer model is built to produce, in model-input pixels (the frame the
 * graph sees, before any undoing of a letterbox).
 */
export interface KnownDetection {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
  /** Index into the model's label list. */
  readonly classIndex: number;
  /** Final confidence: the class score, times objectness for YOLOv5-style outputs. */
  readonly score: number;
}

/**
 * Thresholds the known answers are written against, the common YOLO defaults. Boxes sit well clear
 * of them (scores and IoUs differ from these by at least 0.05), so a decoder whose defaults are
 * slightly different still yields the same answer.
 */
export const KNOWN_ANSWER_THRESHOLDS = Object.freeze({
  /** Detections scoring below this are dropped before NMS. */
  score: 0.25,
  /** NMS suppresses a box overlapping a better one of the same class by more than this IoU. */
  iou: 0.45,
});

/** A box as YOLO heads write it: centre and size, in model-input pixels. */
export interface CenterBox {
  readonly cx: number;
  readonly cy: number;
  readonly w: number;
  readonly h: number;
}

/** Converts a centre-size box to a {@link KnownDetection} of the given class and score. */
export function detectionFromCenter(box: CenterBox, classIndex: number, score: number): KnownDetection {
  return {
    xMin: box.cx - box.w / 2,
    yMin: box.cy - box.h / 2,
    xMax: box.cx + box.w / 2,
    yMax: box.cy + box.h / 2,
    classIndex,
    score,
  };
}
