import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DetectionLayout, DetectionPostprocessor } from '../../../../gen/ts/sluice/v1/model_config.js';
import {
  resolveDetectionOutputs,
  type DetectionOutputShape,
} from '../../../../server/worker/postprocess/detection-outputs.js';

const { DETECTION_LAYOUT_YOLOV5: V5, DETECTION_LAYOUT_YOLOV8: V8, DETECTION_LAYOUT_BOXES_SCORES_CLASSES: BSC } =
  DetectionLayout;

const options = (partial: Partial<DetectionPostprocessor> = {}) => DetectionPostprocessor.fromPartial(partial);
const out = (name: string, ...shape: number[]): DetectionOutputShape => ({ name, shape });

function refused(outputs: DetectionOutputShape[], partial: Partial<DetectionPostprocessor> = {}): string {
  const result = resolveDetectionOutputs(options(partial), outputs);
  assert.equal(result.ok, false, JSON.stringify(result));
  return result.ok ? '' : result.reason;
}

test('a single [N, a, b] output is YOLOV8 when a < b and YOLOV5 when a > b', () => {
  assert.deepEqual(resolveDetectionOutputs(options(), [out('output0', 1, 84, 8400)]), {
    ok: true,
    layout: V8,
    output: 'output0',
    classCount: 80,
  });
  assert.deepEqual(resolveDetectionOutputs(options(), [out('output', -1, 25200, 85)]), {
    ok: true,
    layout: V5,
    output: 'output',
    classCount: 80,
  });
  // The smallest of each: one class.
  assert.equal(resolveDetectionOutputs(options(), [out('y', 1, 5, 8400)]).ok, true);
  assert.equal(resolveDetectionOutputs(options(), [out('y', 1, 25200, 6)]).ok, true);
  // YOLOv5 exports that keep the per-scale grids as extra rank-5 outputs.
  const withGrids = [out('grid80', 1, 3, 80, 80, 85), out('output', 1, 25200, 85), out('grid40', 1, 3, 40, 40, 85)];
  assert.deepEqual(resolveDetectionOutputs(options(), withGrids), {
    ok: true,
    layout: V5,
    output: 'output',
    classCount: 80,
  });
  // A configured output is the one looked at.
  const two = [out('a', 1, 84, 8400), out('b', 1, 25200, 85)];
  const picked = resolveDetectionOutputs(options({ output: 'b' }), two);
  assert.equal(picked.ok && picked.layout === V5 && picked.output, 'b');
});

test('a guess is refused when the dims cannot tell the layouts apart', () => {
  // A dynamic boxes dimension (inputs of any size) or class dimension.
  refused([out('output0', 1, 84, -1)]);
  refused([out('output0', 1, -1, 85)]);
  // Square, or too narrow for either layout.
  refused([out('output0', 1, 100, 100)]);
  refused([out('output0', 1, 4, 8400)]);
  refused([out('output0', 1, 8400, 5)]);
  // Not rank 3, none at all, or two rank-3 outputs without names that say which is which.
  refused([out('logits', 1, 1000)]);
  refused([]);
  refused([out('a', 1, 84, 8400), out('b', 1, 84, 8400)]);
  // Names pointing at both layouts at once, and both fit.
  const both = [out('output0', 1, 84, 8400), out('boxes', 1, 100, 4), out('scores', 1, 100), out('classes', 1, 100)];
  refused(both, { output: 'output0', boxesOutput: 'boxes' });
  // The reason names the shapes.
  assert.match(refused([out('output0', 1, 84, -1)]), /\[1, 84, -1\]/);
});

test('boxes, scores and classes are found by the words in their names', () => {
  const tf = [
    out('detection_boxes', -1, 100, 4),
    out('detection_scores', -1, 100),
    out('detection_classes', -1, 100),
    out('num_detections', -1),
  ];
  assert.deepEqual(resolveDetectionOutputs(options(), tf), {
    ok: true,
    layout: BSC,
    boxes: 'detection_boxes',
    scores: 'detection_scores',
    classes: 'detection_classes',
  });
  assert.deepEqual(resolveDetectionOutputs(options({ layout: BSC }), tf), resolveDetectionOutputs(options(), tf));
  // "label" counts as "class", matching is case-insensitive, and an output whose name holds
  // "score" is scores even when it also holds "class".
  const rtDetr = [out('Labels', 1, 300), out('pred_Boxes', 1, 300, 4), out('class_scores', 1, 300)];
  assert.deepEqual(resolveDetectionOutputs(options(), rtDetr), {
    ok: true,
    layout: BSC,
    boxes: 'pred_Boxes',
    scores: 'class_scores',
    classes: 'Labels',
  });
  // Scores per class need no classes output; one found by name is then ignored.
  assert.deepEqual(resolveDetectionOutputs(options(), [out('boxes', 1, -1, 4), out('scores', 1, -1, 91)]), {
    ok: true,
    layout: BSC,
    boxes: 'boxes',
    scores: 'scores',
    classCount: 91,
  });
  const withLabels = [out('boxes', 1, 9, 4), out('scores', 1, 9, 3), out('labels', 1, 9)];
  const ignored = resolveDetectionOutputs(options(), withLabels);
  assert.equal(ignored.ok && ignored.classes, undefined);
  // Configured names win over the words.
  const renamed = [out('a', 1, 10, 4), out('b', 1, 10), out('c', 1, 10)];
  assert.deepEqual(
    resolveDetectionOutputs(options({ boxesOutput: 'a', scoresOutput: 'b', classesOutput: 'c' }), renamed),
    { ok: true, layout: BSC, boxes: 'a', scores: 'b', classes: 'c' },
  );
});

test('BOXES_SCORES_CLASSES refuses outputs that do not fit it', () => {
  const layout = BSC;
  // K differs, boxes are not 4 wide, classes missing for [N, K] scores.
  refused([out('boxes', 1, 10, 4), out('scores', 1, 11), out('classes', 1, 10)], { layout });
  refused([out('boxes', 1, 10, 5), out('scores', 1, 10), out('classes', 1, 10)], { layout });
  refused([out('boxes', 1, 10, 4), out('scores', 1, 10)], { layout });
  // Two outputs match "box"; a configured name the model lacks; one output in two roles.
  refused([out('boxes', 1, 10, 4), out('box_count', 1), out('scores', 1, 10, 3)], { layout });
  refused([out('boxes', 1, 10, 4), out('scores', 1, 10, 3)], { layout, scoresOutput: 'missing' });
  refused([out('boxes', 1, 10, 4), out('scores', 1, 10)], { layout, classesOutput: 'scores' });
  // An explicit classes output next to per-class scores is a contradiction.
  refused([out('boxes', 1, 10, 4), out('scores', 1, 10, 3), out('ids', 1, 10)], { layout, classesOutput: 'ids' });
});

test('an explicit YOLO layout checks the one output and passes dynamic dimensions', () => {
  assert.deepEqual(resolveDetectionOutputs(options({ layout: V8 }), [out('output0', -1, 84, -1)]), {
    ok: true,
    layout: V8,
    output: 'output0',
    classCount: 80,
  });
  assert.deepEqual(resolveDetectionOutputs(options({ layout: V5 }), [out('output', 1, -1, -1)]), {
    ok: true,
    layout: V5,
    output: 'output',
  });
  // The first output unless one is named; a square output is fine once the layout is said.
  const two = [out('first', 1, 300, 300), out('second', 1, 84, 8400)];
  const first = resolveDetectionOutputs(options({ layout: V5 }), two);
  assert.equal(first.ok && first.output, 'first');
  const named = resolveDetectionOutputs(options({ layout: V8, output: 'second' }), two);
  assert.equal(named.ok && named.output, 'second');

  refused([out('output', 1, 25200, 5)], { layout: V5 });
  refused([out('output0', 1, 4, 8400)], { layout: V8 });
  refused([out('output0', 1, 84)], { layout: V8 });
  refused([out('output0', 1, 84, 8400)], { layout: V8, output: 'missing' });
  refused([], { layout: V8 });
  refused([out('output0', 1, 84, 8400)], { layout: DetectionLayout.UNRECOGNIZED });
});
