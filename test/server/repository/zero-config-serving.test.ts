/**
 * Models brought as bare ONNX files, served over real gRPC with their configuration inferred:
 * known-answer graphs whose detections, mask and class scores are fixed, fed images of several
 * aspect ratios so that the letterbox and stretch mappings are checked to the pixel, and the
 * PP-OCR files served without their model.yaml.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigOrigin, type Detection, type PredictResponse } from '../../../client/index.js';
import { BOXES_SCORES_CLASSES_EXPECTED_DETECTIONS, BOXES_SCORES_CLASSES_INPUT_SIZE, BOXES_SCORES_CLASSES_LABELS } from '../../../models/tiny/boxes-scores-classes-model.js';
import type { KnownDetection } from '../../../models/tiny/known-detection.js';
import { LOGITS_CLASSIFIER_LABELS, LOGITS_CLASSIFIER_PROBABILITIES } from '../../../models/tiny/logits-classifier-model.js';
import { SEGMENTATION_INPUT_SIZE, SEGMENTATION_LABELS, expectedSegmentationClass } from '../../../models/tiny/segmentation-model.js';
import { YOLOV5_EXPECTED_DETECTIONS, YOLOV5_INPUT_SIZE } from '../../../models/tiny/yolov5-layout-model.js';
import { YOLOV8_EXPECTED_DETECTIONS, YOLOV8_INPUT_SIZE, YOLOV8_LABELS } from '../../../models/tiny/yolov8-layout-model.js';
import { solidPng } from '../../helpers/images.js';
import { writeKnownAnswerModels } from '../../helpers/known-answer-files.js';
import { readPalettePng } from '../../helpers/read-palette-png.js';
import { imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

/** Where a letterboxed image sits in a square input of `side`, computed here independently. */
function letterbox(width: number, height: number, side: number): { scaleX: number; scaleY: number; padX: number; padY: number } {
  const ratio = Math.min(side / width, side / height);
  const w = Math.round(width * ratio);
  const h = Math.round(height * ratio);
  return { scaleX: w / width, scaleY: h / height, padX: Math.floor((side - w) / 2), padY: Math.floor((side - h) / 2) };
}

/** The known detections mapped back onto a `width` x `height` image, clamped, empty ones dropped. */
function expectedBoxes(known: readonly KnownDetection[], width: number, height: number, side: number, labels: readonly string[]): Partial<Detection>[] {
  const g = letterbox(width, height, side);
  const clamp = (v: number, limit: number): number => Math.min(limit, Math.max(0, v));
  return known
    .map((d) => ({
      xMin: clamp((d.xMin - g.padX) / g.scaleX, width),
      yMin: clamp((d.yMin - g.padY) / g.scaleY, height),
      xMax: clamp((d.xMax - g.padX) / g.scaleX, width),
      yMax: clamp((d.yMax - g.padY) / g.scaleY, height),
      classIndex: d.classIndex,
      label: labels[d.classIndex] ?? String(d.classIndex),
      score: d.score,
    }))
    .filter((d) => d.xMax > d.xMin && d.yMax > d.yMin)
    .sort((a, b) => b.score - a.score);
}

function assertDetections(response: PredictResponse, expected: readonly Partial<Detection>[], what: string): void {
  assert.equal(response.result?.$case, 'prediction', `${what}: ${JSON.stringify(response.result)}`);
  const found = response.result.$case === 'prediction' ? response.result.value.detections : [];
  assert.equal(found.length, expected.length, `${what}: ${found.length} detections, ${expected.length} expected`);
  found.forEach((d, i) => {
    const e = expected[i] as Required<Pick<Detection, 'xMin' | 'yMin' | 'xMax' | 'yMax' | 'classIndex' | 'label' | 'score'>>;
    for (const key of ['xMin', 'yMin', 'xMax', 'yMax'] as const) {
      assert.ok(Math.abs(d[key] - e[key]) < 1e-3, `${what} #${i} ${key}: ${d[key]}, expected ${e[key]}`);
    }
    assert.equal(d.classIndex, e.classIndex, `${what} #${i} class`);
    assert.equal(d.label, e.label, `${what} #${i} label`);
    assert.ok(Math.abs(d.score - e.score) < 1e-6, `${what} #${i} score ${d.score}, expected ${e.score}`);
    assert.equal(d.polygon.length, 4);
  });
}

test('bare ONNX files are served with a completed configuration and known answers, mapped to image pixels', async (t) => {
  const files = await writeKnownAnswerModels(t);
  // A repository of zero-config entries: folders with one .onnx (and labels.txt), a top-level file.
  const repo = join(files.dir, 'repository');
  const folder = async (name: string, from: string, labels?: readonly string[]): Promise<void> => {
    await mkdir(join(repo, name), { recursive: true });
    await copyFile(from, join(repo, name, `${name}.onnx`));
    if (labels !== undefined) await writeFile(join(repo, name, 'labels.txt'), `${labels.join('\n')}\n`);
  };
  await folder('yolov8', files.paths.yolov8, YOLOV8_LABELS);
  await folder('segmenter', files.paths.segmenter, SEGMENTATION_LABELS);
  await folder('classifier', files.paths.classifier, LOGITS_CLASSIFIER_LABELS);
  await copyFile(files.paths.yolov5, join(repo, 'yolov5.onnx'));
  for (const name of ['ppocr-det', 'ppocr-cls']) await folder(name, join(MODELS_DIR, name, 'model.onnx'));
  // And one --model file, with the start-up settings.
  const labels = join(files.dir, 'detr.names');
  await writeFile(labels, `${BOXES_SCORES_CLASSES_LABELS.join('\n')}\n`);
  const { client } = await startTestServer(t, { modelsDir: repo, modelFiles: [`detr=${files.paths.detr}`], postprocess: 'detection', labels, workers: 1 });

  const listed = new Map((await client.listModels()).models.map((m) => [m.name, m]));
  assert.deepEqual(
    [...listed.values()].map((m) => [m.name, m.postprocessor, m.acceptsImages, m.maxBatchSize]),
    [
      ['classifier', 'classification', true, 8],
      ['detr', 'detection', true, 8],
      ['ppocr-cls', 'classification', true, 8],
      ['ppocr-det', '', true, 8],
      ['segmenter', 'segmentation', true, 8],
      ['yolov5', 'detection', true, 8],
      ['yolov8', 'detection', true, 8],
    ],
  );

  // GetModel shows the completed configuration and where each value came from.
  const yolo = await client.getModel('yolov8');
  const origin = new Map(yolo.sources.map((s) => [s.field, s]));
  assert.equal(yolo.config?.preprocessing?.width, 640);
  assert.equal(origin.get('preprocessing.resize_mode')?.origin, ConfigOrigin.CONFIG_ORIGIN_INFERRED);
  assert.equal(origin.get('postprocessor')?.origin, ConfigOrigin.CONFIG_ORIGIN_INFERRED);
  assert.equal(origin.get('postprocessor.detection.layout')?.origin, ConfigOrigin.CONFIG_ORIGIN_INFERRED);
  assert.equal(origin.get('inputs')?.origin, ConfigOrigin.CONFIG_ORIGIN_ONNX);
  assert.equal(origin.get('labels_file')?.origin, ConfigOrigin.CONFIG_ORIGIN_INFERRED);
  assert.match(origin.get('max_batch_size')?.reason ?? '', /dynamic/);
  const detr = await client.getModel('detr');
  assert.equal(new Map(detr.sources.map((s) => [s.field, s.origin])).get('postprocessor'), ConfigOrigin.CONFIG_ORIGIN_OVERRIDE);
  assert.deepEqual(detr.config?.labels, [...BOXES_SCORES_CLASSES_LABELS]);

  // YOLOv8 layout, letterboxed from wide, tall and square images.
  for (const [width, height] of [[1280, 720], [480, 640], [640, 640], [333, 517]] as const) {
    const response = await client.predictOne(imageItem(`${width}x${height}`, 'yolov8', await solidPng(width, height, [90, 90, 90])));
    assertDetections(response, expectedBoxes(YOLOV8_EXPECTED_DETECTIONS, width, height, YOLOV8_INPUT_SIZE, YOLOV8_LABELS), `yolov8 ${width}x${height}`);
    if (response.result?.$case === 'prediction') assert.deepEqual([response.result.value.imageWidth, response.result.value.imageHeight], [width, height]);
  }
  // YOLOv5 layout (objectness x class score), no labels: classes are named by index.
  const v5 = await client.predictOne(imageItem('v5', 'yolov5', await solidPng(1000, 500, [10, 20, 30])));
  assertDetections(v5, expectedBoxes(YOLOV5_EXPECTED_DETECTIONS, 1000, 500, YOLOV5_INPUT_SIZE, []), 'yolov5 1000x500');
  // Boxes, scores and int64 classes from separate outputs, with labels from --labels.
  const bsc = await client.predictOne(imageItem('bsc', 'detr', await solidPng(640, 480, [200, 0, 0])));
  assertDetections(bsc, expectedBoxes(BOXES_SCORES_CLASSES_EXPECTED_DETECTIONS, 640, 480, BOXES_SCORES_CLASSES_INPUT_SIZE, BOXES_SCORES_CLASSES_LABELS), 'detr 640x480');

  // Logits become softmax probabilities, with labels.
  const classified = await client.predictOne(imageItem('c', 'classifier', await solidPng(50, 40, [0, 0, 0])));
  assert.equal(classified.result?.$case, 'prediction');
  const classes = classified.result?.$case === 'prediction' ? classified.result.value.classes : [];
  assert.deepEqual(classes.map((c) => c.label), ['apple', 'banana', 'date', 'cherry']);
  for (const c of classes) assert.ok(Math.abs(c.score - (LOGITS_CLASSIFIER_PROBABILITIES[c.index] as number)) < 1e-6, `${c.label} ${c.score}`);

  // Segmentation: a mask the size of the image (stretched from 64x64), each pixel its class.
  const [segWidth, segHeight] = [96, 40];
  const segmented = await client.predictOne(imageItem('s', 'segmenter', await solidPng(segWidth, segHeight, [0, 128, 0])));
  assert.equal(segmented.result?.$case, 'prediction');
  const mask = segmented.result?.$case === 'prediction' ? segmented.result.value.segmentation : undefined;
  assert.ok(mask !== undefined);
  const png = readPalettePng(mask.maskPng);
  assert.deepEqual([png.width, png.height, mask.width, mask.height], [segWidth, segHeight, segWidth, segHeight]);
  const counts = [0, 0, 0];
  for (let y = 0; y < segHeight; y++) {
    for (let x = 0; x < segWidth; x++) {
      const want = expectedSegmentationClass(((x + 0.5) * SEGMENTATION_INPUT_SIZE) / segWidth, ((y + 0.5) * SEGMENTATION_INPUT_SIZE) / segHeight);
      assert.equal(png.pixels[y * segWidth + x], want, `mask pixel (${x}, ${y})`);
      counts[want] = (counts[want] as number) + 1;
    }
  }
  const shares = new Map(mask.classes.map((c) => [c.label, c.share]));
  SEGMENTATION_LABELS.forEach((label, i) => assert.ok(Math.abs((shares.get(label) ?? 0) - (counts[i] as number) / (segWidth * segHeight)) < 1e-6, label));

  // The PP-OCR files without their model.yaml: the classifier's [N, 2] output is guessed; the
  // detector's [N, 1, H, W] map fits several postprocessors, so it answers with its tensor.
  const orientation = await client.predictOne(imageItem('o', 'ppocr-cls', await solidPng(192, 48, [255, 255, 255])));
  assert.equal(orientation.result?.$case === 'prediction' ? orientation.result.value.classes.length : -1, 2);
  const map = await client.predictOne(imageItem('m', 'ppocr-det', await solidPng(320, 240, [255, 255, 255])));
  assert.deepEqual(map.result?.$case === 'prediction' ? map.result.value.outputs.map((o) => o.shape) : [], [[1n, 1n, 640n, 640n]]);
});
