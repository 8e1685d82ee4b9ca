import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import {
  BOXES_SCORES_CLASSES_EXPECTED_DETECTIONS,
  BOXES_SCORES_CLASSES_INPUT_SIZE,
  BOXES_SCORES_CLASSES_SLOT_VALUES,
  buildBoxesScoresClassesModel,
} from '../../models/tiny/boxes-scores-classes-model.js';
import { KNOWN_ANSWER_THRESHOLDS, type KnownDetection } from '../../models/tiny/known-detection.js';
import {
  buildLogitsClassifierModel,
  LOGITS_CLASSIFIER_INPUT_SIZE,
  LOGITS_CLASSIFIER_LABELS,
  LOGITS_CLASSIFIER_LOGITS,
  LOGITS_CLASSIFIER_PROBABILITIES,
} from '../../models/tiny/logits-classifier-model.js';
import {
  buildSegmentationModel,
  expectedSegmentationClass,
  SEGMENTATION_INPUT_SIZE,
  SEGMENTATION_LABELS,
  SEGMENTATION_WINNING_LOGIT,
} from '../../models/tiny/segmentation-model.js';
import {
  buildYolov5LayoutModel,
  YOLOV5_BELOW_THRESHOLD_DETECTIONS,
  YOLOV5_BOX_COUNT,
  YOLOV5_EXPECTED_DETECTIONS,
  YOLOV5_INPUT_SIZE,
  YOLOV5_LABELS,
  YOLOV5_ROWS,
  YOLOV5_SUPPRESSED_DETECTIONS,
} from '../../models/tiny/yolov5-layout-model.js';
import {
  buildYolov8LayoutModel,
  YOLOV8_BELOW_THRESHOLD_DETECTIONS,
  YOLOV8_BOX_COUNT,
  YOLOV8_EXPECTED_DETECTIONS,
  YOLOV8_INPUT_SIZE,
  YOLOV8_LABELS,
  YOLOV8_ROWS,
  YOLOV8_SUPPRESSED_DETECTIONS,
} from '../../models/tiny/yolov8-layout-model.js';

/** Batch size of every run: unlike 1, it shows the output's batch follows the input's. */
const BATCH = 2;
/** How far a float32 score may be from the double-precision answer. */
const SCORE_TOLERANCE = 1e-6;

/** Runs `bytes` once on a random `[BATCH, 3, size, size]` image batch and checks the names. */
async function runOnRandomImages(
  t: TestContext,
  bytes: Uint8Array,
  io: { input: string; size: number; outputs: readonly string[] },
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  t.after(() => session.release());
  assert.deepEqual(session.inputNames, [io.input]);
  assert.deepEqual([...session.outputNames].sort(), [...io.outputs].sort());
  const dims = [BATCH, 3, io.size, io.size];
  const pixels = new Float32Array(dims.reduce((product, dim) => product * dim));
  for (let i = 0; i < pixels.length; i++) {
    pixels[i] = Math.random();
  }
  return session.run({ [io.input]: new ort.Tensor('float32', pixels, dims) });
}

function outputOf(results: ort.InferenceSession.OnnxValueMapType, name: string): ort.Tensor {
  const tensor = results[name];
  assert.ok(tensor, `output ${name} is present`);
  return tensor;
}

/** The float32 values a tensor holding `values` once per batch item reads back as. */
function perBatch(values: readonly number[]): number[] {
  return Array.from({ length: BATCH }, () => values.map((value) => Math.fround(value))).flat();
}

function iou(a: KnownDetection, b: KnownDetection): number {
  const width = Math.max(0, Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin));
  const height = Math.max(0, Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin));
  const overlap = width * height;
  const area = (box: KnownDetection): number => (box.xMax - box.xMin) * (box.yMax - box.yMin);
  return overlap / (area(a) + area(b) - overlap);
}

interface Decoded {
  readonly kept: KnownDetection[];
  readonly suppressed: KnownDetection[];
  readonly belowThreshold: KnownDetection[];
}

/**
 * A plain reference decoder: best class per box, score threshold, then greedy class-aware NMS,
 * with {@link KNOWN_ANSWER_THRESHOLDS}. It checks that the answers the builders declare hold.
 */
function decode(candidates: readonly KnownDetection[]): Decoded {
  const { score: minScore, iou: maxIou } = KNOWN_ANSWER_THRESHOLDS;
  const belowThreshold = candidates.filter((c) => c.score < minScore);
  const ranked = candidates.filter((c) => c.score >= minScore).sort((a, b) => b.score - a.score);
  const kept: KnownDetection[] = [];
  const suppressed: KnownDetection[] = [];
  for (const candidate of ranked) {
    const better = kept.some((k) => k.classIndex === candidate.classIndex && iou(k, candidate) > maxIou);
    (better ? suppressed : kept).push(candidate);
  }
  return { kept, suppressed, belowThreshold };
}

/** Reads one box of a YOLO head as a detection; `at(column)` returns one value of the box's row. */
function yoloCandidate(at: (column: number) => number, classes: number, objectnessColumn?: number): KnownDetection {
  const scoreStart = objectnessColumn === undefined ? 4 : objectnessColumn + 1;
  const scores = Array.from({ length: classes }, (_, c) => at(scoreStart + c));
  const best = Math.max(...scores);
  const objectness = objectnessColumn === undefined ? 1 : at(objectnessColumn);
  const [cx, cy, w, h] = [at(0), at(1), at(2), at(3)];
  return {
    xMin: cx - w / 2,
    yMin: cy - h / 2,
    xMax: cx + w / 2,
    yMax: cy + h / 2,
    classIndex: scores.indexOf(best),
    score: objectness * best,
  };
}

function assertSameDetections(actual: readonly KnownDetection[], expected: readonly KnownDetection[]): void {
  assert.equal(actual.length, expected.length, 'number of detections');
  expected.forEach((want, i) => {
    const got = actual[i];
    assert.ok(got, `detection ${i} is present`);
    const { score, ...box } = got;
    const { score: wantScore, ...wantBox } = want;
    assert.deepEqual(box, wantBox);
    assert.ok(Math.abs(score - wantScore) < SCORE_TOLERANCE, `score ${score} is ${wantScore}`);
  });
}

/** Checks the design promises: one box per fate at least, and clear of the thresholds. */
function assertClearOfThresholds(decoded: Decoded, placedBelow: readonly KnownDetection[]): void {
  const { score: minScore, iou: maxIou } = KNOWN_ANSWER_THRESHOLDS;
  assert.ok(decoded.suppressed.length > 0 && placedBelow.length > 0);
  for (const detection of [...decoded.kept, ...decoded.suppressed, ...placedBelow]) {
    assert.ok(Math.abs(detection.score - minScore) >= 0.05 - SCORE_TOLERANCE, `score ${detection.score}`);
  }
  const above = [...decoded.kept, ...decoded.suppressed];
  for (const a of above) {
    for (const b of above) {
      if (a !== b && a.classIndex === b.classIndex) {
        assert.ok(Math.abs(iou(a, b) - maxIou) >= 0.05, `IoU ${iou(a, b)}`);
      }
    }
  }
  // A kept box overlapping a kept box of another class: class-agnostic NMS would wrongly drop it.
  assert.ok(
    decoded.kept.some((a) => decoded.kept.some((b) => a.classIndex !== b.classIndex && iou(a, b) > maxIou + 0.05)),
  );
}

test('yolov8-layout gives every image the known output0, and decoding it gives the known boxes', async (t) => {
  const results = await runOnRandomImages(t, buildYolov8LayoutModel(), {
    input: 'images',
    size: YOLOV8_INPUT_SIZE,
    outputs: ['output0'],
  });
  const output = outputOf(results, 'output0');
  const channels = 4 + YOLOV8_LABELS.length;
  assert.equal(output.type, 'float32');
  assert.deepEqual(output.dims, [BATCH, channels, YOLOV8_BOX_COUNT]);
  const transposed = Array.from({ length: channels }, (_, c) => YOLOV8_ROWS.map((row) => row[c] ?? NaN)).flat();
  assert.deepEqual(Array.from(output.data as Float32Array), perBatch(transposed));

  const data = output.data as Float32Array;
  for (let item = 0; item < BATCH; item++) {
    const offset = item * channels * YOLOV8_BOX_COUNT;
    const candidates = Array.from({ length: YOLOV8_BOX_COUNT }, (_, b) =>
      yoloCandidate((c) => data[offset + c * YOLOV8_BOX_COUNT + b] ?? NaN, YOLOV8_LABELS.length),
    );
    const decoded = decode(candidates);
    assertSameDetections(decoded.kept, YOLOV8_EXPECTED_DETECTIONS);
    assertSameDetections(decoded.suppressed, YOLOV8_SUPPRESSED_DETECTIONS);
    const placedBelow = decoded.belowThreshold.filter((d) => d.score > 0).sort((a, b) => b.score - a.score);
    assertSameDetections(placedBelow, YOLOV8_BELOW_THRESHOLD_DETECTIONS);
    assertClearOfThresholds(decoded, YOLOV8_BELOW_THRESHOLD_DETECTIONS);
  }
});

test('yolov5-layout gives every image the known output0, and objectness times class score decides', async (t) => {
  const results = await runOnRandomImages(t, buildYolov5LayoutModel(), {
    input: 'images',
    size: YOLOV5_INPUT_SIZE,
    outputs: ['output0'],
  });
  const output = outputOf(results, 'output0');
  const width = 5 + YOLOV5_LABELS.length;
  assert.equal(output.type, 'float32');
  assert.deepEqual(output.dims, [BATCH, YOLOV5_BOX_COUNT, width]);
  assert.deepEqual(Array.from(output.data as Float32Array), perBatch(YOLOV5_ROWS.flat()));

  const data = output.data as Float32Array;
  for (let item = 0; item < BATCH; item++) {
    const offset = item * YOLOV5_BOX_COUNT * width;
    const candidates = Array.from({ length: YOLOV5_BOX_COUNT }, (_, b) =>
      yoloCandidate((c) => data[offset + b * width + c] ?? NaN, YOLOV5_LABELS.length, 4),
    );
    const decoded = decode(candidates);
    assertSameDetections(decoded.kept, YOLOV5_EXPECTED_DETECTIONS);
    assertSameDetections(decoded.suppressed, YOLOV5_SUPPRESSED_DETECTIONS);
    // Background anchors score 0.01 x 0.9; the placed ones below the threshold score more.
    const placedBelow = decoded.belowThreshold.filter((d) => d.score > 0.05).sort((a, b) => b.score - a.score);
    assertSameDetections(placedBelow, YOLOV5_BELOW_THRESHOLD_DETECTIONS);
    assertClearOfThresholds(decoded, YOLOV5_BELOW_THRESHOLD_DETECTIONS);
  }
  // Every background anchor would pass the threshold on its class score alone.
  const background = YOLOV5_ROWS.filter((row) => row[4] === 0.01);
  assert.ok(background.length > 0 && background.every((row) => Math.max(...row.slice(5)) >= 0.25));
});

test('boxes-scores-classes gives every image the known slots, with int64 classes', async (t) => {
  const results = await runOnRandomImages(t, buildBoxesScoresClassesModel(), {
    input: 'images',
    size: BOXES_SCORES_CLASSES_INPUT_SIZE,
    outputs: ['boxes', 'scores', 'classes'],
  });
  const slots = BOXES_SCORES_CLASSES_SLOT_VALUES;
  const boxes = outputOf(results, 'boxes');
  const scores = outputOf(results, 'scores');
  const classes = outputOf(results, 'classes');
  assert.equal(boxes.type, 'float32');
  assert.deepEqual(boxes.dims, [BATCH, slots.length, 4]);
  assert.deepEqual(
    Array.from(boxes.data as Float32Array),
    perBatch(slots.flatMap((s) => [s.xMin, s.yMin, s.xMax, s.yMax])),
  );
  assert.equal(scores.type, 'float32');
  assert.deepEqual(scores.dims, [BATCH, slots.length]);
  assert.deepEqual(Array.from(scores.data as Float32Array), perBatch(slots.map((s) => s.score)));
  assert.equal(classes.type, 'int64');
  assert.deepEqual(classes.dims, [BATCH, slots.length]);
  assert.deepEqual(
    Array.from(classes.data as BigInt64Array),
    perBatch(slots.map((s) => s.classIndex)).map((c) => BigInt(c)),
  );

  const expected = BOXES_SCORES_CLASSES_EXPECTED_DETECTIONS;
  assert.ok(expected.length > 0 && expected.length < slots.length);
  assert.deepEqual(decode(expected).kept, expected, 'running NMS again keeps every expected detection');
});

test('segmentation gives every image the known class map', async (t) => {
  const results = await runOnRandomImages(t, buildSegmentationModel(), {
    input: 'pixel_values',
    size: SEGMENTATION_INPUT_SIZE,
    outputs: ['logits'],
  });
  const size = SEGMENTATION_INPUT_SIZE;
  const classes = SEGMENTATION_LABELS.length;
  const logits = outputOf(results, 'logits');
  assert.equal(logits.type, 'float32');
  assert.deepEqual(logits.dims, [BATCH, classes, size, size]);
  const data = logits.data as Float32Array;
  const seen = new Set<number>();
  for (let item = 0; item < BATCH; item++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const want = expectedSegmentationClass(x, y);
        seen.add(want);
        for (let c = 0; c < classes; c++) {
          const value = data[((item * classes + c) * size + y) * size + x];
          assert.equal(value, c === want ? SEGMENTATION_WINNING_LOGIT : 0, `item ${item} class ${c} at (${x}, ${y})`);
        }
      }
    }
  }
  assert.equal(seen.size, classes, 'every class appears in the map');
  assert.equal(expectedSegmentationClass(23.9, 63.9), 1);
  assert.equal(expectedSegmentationClass(40, 31.5), 2);
  assert.equal(expectedSegmentationClass(40, 32), 0);
  assert.throws(() => expectedSegmentationClass(64, 0), RangeError);
  assert.throws(() => expectedSegmentationClass(0, -0.5), RangeError);
});

test('logits-classifier gives every image the known logits, whose softmax is the known probabilities', async (t) => {
  const results = await runOnRandomImages(t, buildLogitsClassifierModel(), {
    input: 'input',
    size: LOGITS_CLASSIFIER_INPUT_SIZE,
    outputs: ['logits'],
  });
  const classes = LOGITS_CLASSIFIER_LABELS.length;
  const logits = outputOf(results, 'logits');
  assert.equal(logits.type, 'float32');
  assert.deepEqual(logits.dims, [BATCH, classes]);
  const data = Array.from(logits.data as Float32Array);
  assert.deepEqual(data, perBatch(LOGITS_CLASSIFIER_LOGITS));

  const row = data.slice(0, classes);
  const exps = row.map((logit) => Math.exp(logit));
  const total = exps.reduce((sum, value) => sum + value, 0);
  exps.forEach((value, i) => {
    const want = LOGITS_CLASSIFIER_PROBABILITIES[i] ?? NaN;
    assert.ok(Math.abs(value / total - want) < SCORE_TOLERANCE, `probability ${i}`);
  });
  assert.equal(LOGITS_CLASSIFIER_PROBABILITIES.indexOf(Math.max(...LOGITS_CLASSIFIER_PROBABILITIES)), 0);
});
