import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detection } from '../../../../gen/ts/sluice/v1/inference_service.js';
import { BoxFormat, DetectionLayout, DetectionPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import { detectObjects } from '../../../../server/worker/postprocess/detect-objects.js';
import type { OutputTensor } from '../../../../server/worker/postprocess/output-tensor.js';
import type { PostprocessContext } from '../../../../server/worker/postprocess/postprocess.js';

const { DETECTION_LAYOUT_YOLOV5: V5, DETECTION_LAYOUT_YOLOV8: V8, DETECTION_LAYOUT_BOXES_SCORES_CLASSES: BSC } =
  DetectionLayout;
const options = (partial: Partial<DetectionPostprocessor> = {}) => DetectionPostprocessor.fromPartial(partial);
const isInternal = (err: unknown) => (err as { code?: unknown }).code === 'INTERNAL';

/** A box as four numbers in the model's format, and its score per class. */
type Row = [a: number, b: number, c: number, d: number, scores: number[]];

/** `[1, 4 + classes, boxes]`: a column per box. */
function yoloV8(rows: Row[], classes: number): OutputTensor {
  const n = rows.length;
  const data = new Float32Array((4 + classes) * n);
  rows.forEach(([a, b, c, d, scores], j) => {
    [a, b, c, d, ...scores].forEach((v, r) => (data[r * n + j] = v));
  });
  return { data, dims: [1, 4 + classes, n] };
}

/** `[1, boxes, 5 + classes]`: the first score of each row is objectness. */
function yoloV5(rows: Row[], classes: number): OutputTensor {
  const data = Float32Array.from(rows.flatMap(([a, b, c, d, s]) => [a, b, c, d, ...s]));
  return { data, dims: [1, rows.length, 5 + classes] };
}

/** Runs the postprocessor on the tensors, in the order given, and returns its detections. */
function run(
  tensors: Record<string, OutputTensor>,
  partial: Partial<DetectionPostprocessor>,
  context: Partial<PostprocessContext> = {},
): Detection[] {
  const outputs = new Map(Object.entries(tensors));
  const full = { labels: [], outputNames: [...outputs.keys()], ...context };
  return detectObjects(outputs, options(partial), full).detections ?? [];
}

/** Box corners, class and score (rounded) of each detection, in order. */
const summary = (detections: Detection[]) =>
  detections.map((d) => [d.xMin, d.yMin, d.xMax, d.yMax, d.classIndex, Number(d.score.toFixed(3))]);

// Two overlapping class-0 boxes (IoU 0.54), a class-1 box on top of them, and one apart.
const CROWD: Row[] = [
  [100, 100, 100, 100, [0.8, 0]],
  [130, 100, 100, 100, [0.9, 0.1]],
  [105, 100, 100, 100, [0.2, 0.7]],
  [400, 400, 50, 50, [0, 0.6]],
];

test('YOLOV8: overlapping boxes of a class merge into the best; other classes survive unless class_agnostic', () => {
  const output0 = yoloV8(CROWD, 2);
  const detections = run({ output0 }, { layout: V8 }, { labels: ['cat', 'dog'] });
  assert.deepEqual(summary(detections), [
    [80, 50, 180, 150, 0, 0.9],
    [55, 50, 155, 150, 1, 0.7],
    [375, 375, 425, 425, 1, 0.6],
  ]);
  assert.deepEqual(detections[0], {
    xMin: 80,
    yMin: 50,
    xMax: 180,
    yMax: 150,
    polygon: [
      { x: 80, y: 50 },
      { x: 180, y: 50 },
      { x: 180, y: 150 },
      { x: 80, y: 150 },
    ],
    score: detections[0]?.score,
    classIndex: 0,
    label: 'cat',
    text: '',
    textScore: 0,
  });
  assert.equal(detections[1]?.label, 'dog');
  assert.deepEqual(summary(run({ output0 }, { layout: V8, classAgnostic: true })), [
    [80, 50, 180, 150, 0, 0.9],
    [375, 375, 425, 425, 1, 0.6],
  ]);
  // IoU 1 turns suppression off; at 0.6 the two class-0 boxes (IoU 0.54) both stay.
  assert.equal(run({ output0 }, { layout: V8, iouThreshold: 1 }).length, 4);
  assert.equal(run({ output0 }, { layout: V8, iouThreshold: 0.6 }).length, 4);
  const twins = yoloV8([[50, 50, 20, 20, [0.9]], [50, 50, 20, 20, [0.8]]], 1);
  assert.equal(run({ output0: twins }, { layout: V8 }).length, 1);
  assert.equal(run({ output0: twins }, { layout: V8, iouThreshold: 1 }).length, 2, 'identical boxes have IoU 1');
  // Four boxes are too few to guess from: [1, 6, 4] fits neither YOLO layout.
  assert.throws(() => run({ output0 }, {}), isInternal);
});

test('score threshold (inclusive, default 0.25), NaN scores, max_detections and unlabelled classes', () => {
  const rows: Row[] = [
    [10, 10, 10, 10, [0.5]],
    [30, 10, 10, 10, [0.25]],
    [50, 10, 10, 10, [0.2]],
    [70, 10, 10, 10, [Number.NaN]],
    [90, 10, 10, 10, [0.9]],
  ];
  const output0 = yoloV8(rows, 1);
  assert.deepEqual(run({ output0 }, { layout: V8 }).map((d) => d.score), [0.8999999761581421, 0.5, 0.25]);
  assert.equal(run({ output0 }, { layout: V8, scoreThreshold: 0.1 }).length, 4);
  assert.deepEqual(run({ output0 }, { layout: V8, maxDetections: 2 }).map((d) => d.xMin), [85, 5]);
  assert.equal(run({ output0 }, { layout: V8 })[0]?.label, '0', 'an unlabelled class is named by its index');
  // Equal scores keep box order.
  const tied = yoloV8([[10, 10, 10, 10, [0.5]], [50, 10, 10, 10, [0.5]], [30, 10, 10, 10, [0.5]]], 1);
  assert.deepEqual(run({ output0: tied }, { layout: V8 }).map((d) => d.xMin), [5, 45, 25]);
});

test('letterbox geometry maps corners to the original image, clamped to it', () => {
  // 1280x720 letterboxed into 640x640: scale 0.5, 140 rows of padding above.
  const geometry = { originalWidth: 1280, originalHeight: 720, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 };
  const rows: Row[] = [
    [200, 290, 200, 100, [0.9]], // model (100, 240)-(300, 340)
    [600, 140, 100, 100, [0.8]], // half in the top padding
    [320, 40, 100, 40, [0.7]], // all in the padding
  ];
  const detections = run({ output0: yoloV8(rows, 1) }, { layout: V8 }, { geometry, inputWidth: 640, inputHeight: 640 });
  assert.deepEqual(summary(detections), [
    [200, 200, 600, 400, 0, 0.9],
    [1100, 0, 1280, 100, 0, 0.8],
  ]);
  // Without geometry, boxes are clamped to the model input.
  const plain = run({ output0: yoloV8(rows, 1) }, { layout: V8 }, { inputWidth: 640, inputHeight: 640 });
  assert.deepEqual(summary(plain)[1], [550, 90, 640, 190, 0, 0.8]);
});

test('YOLOV5: score is objectness times the best class, and the layout is guessed', () => {
  const rows: Row[] = [
    [100, 100, 50, 50, [0.9, 0.2, 0.8]],
    [102, 100, 50, 50, [0.8, 0.9, 0.1]],
    [300, 300, 50, 50, [0.2, 1, 1]], // objectness under the threshold
    [500, 300, 50, 50, [0.5, 0.4, 0.6]],
  ];
  const output = yoloV5(rows, 2);
  const expected = [
    [75, 75, 125, 125, 1, 0.72],
    [77, 75, 127, 125, 0, 0.72],
    [475, 275, 525, 325, 1, 0.3],
  ];
  const grid: OutputTensor = { data: new Float32Array(3 * 2 * 2 * 7), dims: [1, 3, 2, 2, 7] };
  // The guess needs more boxes than columns; pad with empty rows.
  const padded = yoloV5([...rows, ...Array.from({ length: 4 }, (): Row => [0, 0, 0, 0, [0, 0, 0]])], 2);
  assert.deepEqual(summary(run({ output }, { layout: V5 })), expected);
  assert.deepEqual(summary(run({ grid, output: padded }, {})), expected);
  assert.deepEqual(summary(run({ output }, { layout: V5, classAgnostic: true })), [expected[0], expected[2]]);
});

test('separate boxes, scores and classes: XYXY by default, padding rows skipped, normalized boxes', () => {
  const boxes: OutputTensor = {
    data: Float32Array.of(10, 20, 110, 70, 12, 20, 112, 70, 0, 0, 5, 5, 0, 0, 50, 50),
    dims: [1, 4, 4],
  };
  const scores: OutputTensor = { data: Float32Array.of(0.6, 0.9, 0.8, 0.95), dims: [1, 4] };
  const classes: OutputTensor = { data: Float32Array.of(3, 3, 7, -1), dims: [1, 4] };
  const tensors = { boxes, scores, classes };
  // The padding row of class -1 never counts, whatever its score.
  assert.deepEqual(summary(run(tensors, {})), [
    [12, 20, 112, 70, 3, 0.9],
    [0, 0, 5, 5, 7, 0.8],
  ]);
  assert.deepEqual(summary(run(tensors, { layout: BSC, iouThreshold: 1 })), [
    [12, 20, 112, 70, 3, 0.9],
    [0, 0, 5, 5, 7, 0.8],
    [10, 20, 110, 70, 3, 0.6],
  ]);

  // TensorFlow's detection API: y_min, x_min, y_max, x_max as fractions of the input.
  const tf = {
    detection_boxes: { data: Float32Array.of(0.25, 0.5, 0.75, 1), dims: [1, 1, 4] },
    detection_scores: { data: Float32Array.of(0.9), dims: [1, 1] },
    detection_classes: { data: Float32Array.of(1), dims: [1, 1] },
  };
  const fractions = { boxFormat: BoxFormat.BOX_FORMAT_YXYX, normalizedBoxes: true };
  const context = { inputWidth: 300, inputHeight: 200, labels: ['background', 'person'] };
  const [person] = run(tf, fractions, context);
  assert.deepEqual(summary(person ? [person] : []), [[150, 50, 300, 150, 1, 0.9]]);
  assert.equal(person?.label, 'person');
});

test('per-class scores without a classes output take the best class; XYWH boxes', () => {
  const tensors = {
    pred_boxes: { data: Float32Array.of(10, 10, 30, 20, 100, 100, 10, 10), dims: [1, 2, 4] },
    pred_scores: { data: Float32Array.of(0.1, 0.7, 0.3, 0.5, 0.2, 0.1), dims: [1, 2, 3] },
  };
  assert.deepEqual(summary(run(tensors, { boxFormat: BoxFormat.BOX_FORMAT_XYWH })), [
    [10, 10, 40, 30, 1, 0.7],
    [100, 100, 110, 110, 0, 0.5],
  ]);
  // CXCYWH is available to this layout too; the first box is clamped at the left edge.
  assert.deepEqual(summary(run(tensors, { boxFormat: BoxFormat.BOX_FORMAT_CXCYWH, scoreThreshold: 0.6 })), [
    [0, 0, 25, 20, 1, 0.7],
  ]);
});

test('outputs that fit no layout are INTERNAL', () => {
  const row: Row = [10, 10, 10, 10, [0.9]];
  const v8 = yoloV8([row], 1);
  // Rank 2, batch of two, data shorter than its dims.
  assert.throws(() => run({ output0: { data: new Float32Array(5), dims: [1, 5] } }, { layout: V8 }), isInternal);
  assert.throws(() => run({ output0: { data: new Float32Array(10), dims: [2, 5, 1] } }, { layout: V8 }), isInternal);
  assert.throws(() => run({ output0: { data: v8.data.subarray(1), dims: v8.dims } }, { layout: V8 }), isInternal);
  // Too few columns for YOLOV5, no boxes output, nothing to guess from, an unknown box format.
  assert.throws(() => run({ output: { data: new Float32Array(5), dims: [1, 1, 5] } }, { layout: V5 }), isInternal);
  assert.throws(() => run({ scores: { data: new Float32Array(2), dims: [1, 2] } }, { layout: BSC }), isInternal);
  assert.throws(() => run({ logits: { data: new Float32Array(10), dims: [1, 10] } }, {}), isInternal);
  assert.throws(() => run({ output0: v8 }, { layout: V8, boxFormat: BoxFormat.UNRECOGNIZED }), isInternal);
});

test('8400 boxes x 80 classes, every box above the threshold, stay fast', () => {
  const boxes = 8400;
  const classes = 80;
  const data = new Float32Array((4 + classes) * boxes);
  let seed = 1;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let j = 0; j < boxes; j++) {
    data[j] = random() * 640;
    data[boxes + j] = random() * 640;
    data[2 * boxes + j] = 10 + random() * 100;
    data[3 * boxes + j] = 10 + random() * 100;
  }
  // The best of 80 uniform scores is above 0.25 for every box: the worst case for suppression.
  for (let i = 4 * boxes; i < data.length; i++) data[i] = random();
  const output0: OutputTensor = { data, dims: [1, 4 + classes, boxes] };
  const context = { inputWidth: 640, inputHeight: 640 };

  // The first call pays for compilation; the bound is on a worker's steady state.
  run({ output0 }, {}, context);
  const start = performance.now();
  const detections = run({ output0 }, {}, context);
  const elapsed = performance.now() - start;
  assert.equal(detections.length, 300);
  for (let i = 1; i < detections.length; i++) assert.ok((detections[i - 1]?.score ?? 0) >= (detections[i]?.score ?? 0));
  assert.ok(elapsed < 150, `took ${elapsed.toFixed(1)} ms`);
});
