import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvalImage, GroundTruthLine } from '../../eval/dataset/eval-image.js';
import type { Detection, ModelAnswers } from '../../eval/evaluate/run-models.js';
import { scoreAnswers } from '../../eval/evaluate/score-answers.js';
import { type Bounds, quadOf } from '../../eval/metrics/boxes.js';

const line = (text: string, box: Bounds, orientation: '0' | '180'): GroundTruthLine => ({ text, quad: quadOf(box), orientation, font: 'sans', size: 20 });
const detection = (b: Bounds, text = '', label = ''): Detection => ({ xMin: b.x0, yMin: b.y0, xMax: b.x1, yMax: b.y1, polygon: [], score: 0.9, label, text, textScore: 0.9, classIndex: 0 });

const TOP = { x0: 10, y0: 10, x1: 110, y1: 30 };
const BOTTOM = { x0: 10, y0: 50, x1: 110, y1: 70 };
const IMAGES: EvalImage[] = [
  { id: 'img-000', width: 200, height: 100, background: 'clean', png: Buffer.alloc(0), lines: [line('hello world', TOP, '0'), line('upside down', BOTTOM, '180')] },
  { id: 'img-001', width: 200, height: 100, background: 'noisy', png: Buffer.alloc(0), lines: [line('noisy', TOP, '0')] },
];

test('scoreAnswers matches boxes, compares texts and labels, and splits clean from noisy', () => {
  const answers: ModelAnswers = {
    // Image 0: both lines found, plus a false alarm; image 1: its line boxed far too loosely.
    detections: [[detection(TOP), detection(BOTTOM), detection({ x0: 150, y0: 0, x1: 190, y1: 10 })], [detection({ x0: 0, y0: 0, x1: 200, y1: 100 })]],
    texts: [['hello world', null], ['nolsy']],
    orientations: [['0', '0'], ['0']],
    pipeline: null,
  };
  const scores = scoreAnswers(IMAGES, answers);
  assert.deepEqual(scores.detection.all, { truth: 3, predicted: 4, matched: 2, precision: 0.5, recall: 2 / 3, f1: (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3) });
  assert.equal(scores.detection.clean.recall, 1);
  assert.equal(scores.detection.noisy.recall, 0);
  assert.equal(scores.detection.meanIou, 1);
  assert.deepEqual(scores.detection.misses, { split: 0, loose: 1, unseen: 0 });

  assert.equal(scores.recognition.all.lines, 2, 'upside-down lines are not read');
  assert.equal(scores.recognition.clean.charAccuracy, 1);
  assert.equal(scores.recognition.noisy.charAccuracy, 0.8);
  assert.equal(scores.recognition.all.lineAccuracy, 0.5);

  assert.deepEqual(scores.orientation.all, { total: 3, correct: 2, accuracy: 2 / 3 });
  assert.equal(scores.orientation.upsideDown.accuracy, 0);
  assert.equal(scores.orientation.upright.accuracy, 1);
  assert.equal(scores.pipeline, null);
  assert.ok(scores.lines.every((l) => !('pipeline' in l)));

  const fonts = scores.breakdown.filter((g) => g.group === 'font');
  assert.deepEqual(fonts.map((g) => [g.key, g.lines, g.detectionRecall]), [['sans', 3, 2 / 3]]);
  assert.deepEqual(
    scores.breakdown.filter((g) => g.group === 'words').map((g) => [g.key, g.lines]),
    [['1 word', 1], ['2 words', 2]],
  );
});

test('scoreAnswers scores the ocr pipeline by its boxes, their text and their labels', () => {
  const answers: ModelAnswers = {
    detections: [[detection(TOP), detection(BOTTOM)], [detection(TOP)]],
    texts: [['hello world', null], ['noisy']],
    orientations: [['0', '180'], ['0']],
    pipeline: [[detection(TOP, 'helloworld', '0'), detection(BOTTOM, 'upside down', '0')], []],
  };
  const { pipeline, lines } = scoreAnswers(IMAGES, answers);
  assert.ok(pipeline !== null);
  assert.deepEqual([pipeline.detection.all.precision, pipeline.detection.all.recall], [1, 2 / 3]);
  assert.equal(pipeline.matchedText.all.lines, 2);
  assert.equal(pipeline.matchedText.all.charErrors, 1);
  assert.equal(pipeline.matchedText.all.exactLines, 1);
  assert.equal(pipeline.allText.all.lines, 3, 'a missed line counts as read empty');
  assert.equal(pipeline.allText.noisy.charAccuracy, 0);
  assert.deepEqual(pipeline.orientation, { total: 2, correct: 1, accuracy: 0.5 });
  assert.deepEqual(lines[2]!.pipeline, { missed: 'unseen' });
  assert.deepEqual(lines[0]!.pipeline, { iou: 1, text: 'helloworld', label: '0' });
});
