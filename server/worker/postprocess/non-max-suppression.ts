/** Candidate boxes for `nonMaxSuppression`, in struct-of-arrays form so that no object is made per box. */
export interface BoxCandidates {
  /** Number of candidates; the arrays may be longer (reused buffers). */
  readonly count: number;
  /** `x_min, y_min, x_max, y_max` per candidate, with `x_min <= x_max` and `y_min <= y_max`. */
  readonly boxes: Float32Array | Float64Array;
  /** Never NaN: callers drop NaN scores when they filter by threshold. */
  readonly scores: Float32Array | Float64Array;
  readonly classes: Int32Array;
}

/** How `nonMaxSuppression` suppresses. */
export interface NonMaxSuppressionOptions {
  /** A box whose intersection over union with a kept box is greater than this is dropped. */
  readonly iouThreshold: number;
  /** Most boxes kept. */
  readonly maxDetections: number;
  /** Suppress across classes too; otherwise only boxes of the same class suppress each other. */
  readonly classAgnostic: boolean;
}

/**
 * Greedy non-maximum suppression: visits candidates by score, highest first (equal scores in
 * index order, so results do not depend on the sort's stability), and keeps one unless it
 * overlaps an already kept box of its class (of any class when `classAgnostic`) by an IoU above
 * `iouThreshold`. Stops after `maxDetections`. Returns the kept candidates' indices, best first.
 *
 * Callers filter by score before calling: the cost is a sort of the candidates plus, for each,
 * a comparison with the boxes kept so far (at most `maxDetections`).
 */
export function nonMaxSuppression(candidates: BoxCandidates, options: NonMaxSuppressionOptions): Int32Array {
  const { count, boxes, scores, classes } = candidates;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a] || a - b);

  const limit = Math.min(count, Math.max(0, options.maxDetections));
  const kept = new Int32Array(limit);
  let keptCount = 0;
  for (let n = 0; n < count && keptCount < limit; n++) {
    const i = order[n];
    let suppressed = false;
    for (let k = 0; k < keptCount; k++) {
      const j = kept[k];
      if (!options.classAgnostic && classes[i] !== classes[j]) continue;
      if (iou(boxes, i, j) > options.iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept[keptCount++] = i;
  }
  return kept.subarray(0, keptCount);
}

function iou(boxes: Float32Array | Float64Array, i: number, j: number): number {
  const a = 4 * i;
  const b = 4 * j;
  const width = Math.min(boxes[a + 2], boxes[b + 2]) - Math.max(boxes[a], boxes[b]);
  const height = Math.min(boxes[a + 3], boxes[b + 3]) - Math.max(boxes[a + 1], boxes[b + 1]);
  if (!(width > 0 && height > 0)) return 0;
  const intersection = width * height;
  const areaA = (boxes[a + 2] - boxes[a]) * (boxes[a + 3] - boxes[a + 1]);
  const areaB = (boxes[b + 2] - boxes[b]) * (boxes[b + 3] - boxes[b + 1]);
  return intersection / (areaA + areaB - intersection);
}
