/**
 * A new user's path with their own model, run as they would: `sluice models init` writes the
 * configuration Sluice infers; `sluice serve --model x.onnx --postprocess detection --labels
 * coco.names` serves the bare file; `sluice predict` and `sluice stream` get its boxes in image
 * pixels with the labels. The same file served from the written model.yaml answers the same.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { YOLOV8_EXPECTED_DETECTIONS } from '../../../models/tiny/yolov8-layout-model.js';
import { solidPng } from '../../helpers/images.js';
import { writeKnownAnswerModels } from '../../helpers/known-answer-files.js';
import { startServerProcess } from '../../helpers/server-process.js';
import { jsonLines, sluice } from './run-cli.js';

const NAMES = ['person', 'bicycle', 'car'];

interface DetectionJson {
  readonly xMin?: number;
  readonly yMin?: number;
  readonly xMax?: number;
  readonly yMax?: number;
  readonly label?: string;
}

const detectionsOf = (record: { prediction?: { detections?: DetectionJson[] } }): DetectionJson[] => record.prediction?.detections ?? [];

test('models init, serve --model, predict and stream with a bare ONNX detector', async (t) => {
  const files = await writeKnownAnswerModels(t);
  const names = join(files.dir, 'coco.names');
  await writeFile(names, `${NAMES.join('\n')}\n`);

  // The configuration it would use, written for editing, with the reasons as comments.
  const folder = join(files.dir, 'repository', 'detector');
  await mkdir(folder, { recursive: true });
  await copyFile(files.paths.yolov8, join(folder, 'yolov8.onnx'));
  await copyFile(names, join(folder, 'coco.names'));
  const init = await sluice(['models', 'init', join(folder, 'yolov8.onnx'), '--postprocess', 'detection', '--labels', names, '-o', join(folder, 'model.yaml')]);
  assert.equal(init.code, 0, init.stderr);
  const written = await readFile(join(folder, 'model.yaml'), 'utf8');
  assert.match(written, /# inferred: detectors are trained on letterboxed images/);
  const yaml = parse(written) as { file: string; labels_file: string; postprocessor: { detection: { layout: string } }; preprocessing: { resize_mode: string } };
  assert.deepEqual(
    [yaml.file, yaml.labels_file, yaml.postprocessor.detection.layout, yaml.preprocessing.resize_mode],
    ['yolov8.onnx', 'coco.names', 'DETECTION_LAYOUT_YOLOV8', 'RESIZE_MODE_LETTERBOX'],
  );
  const refused = await sluice(['models', 'init', join(folder, 'yolov8.onnx'), '-o', join(folder, 'model.yaml')]);
  assert.equal(refused.code, 1, 'an existing file is kept without --force');

  // One server: the bare file by --model, and the same network from the written model.yaml.
  const server = await startServerProcess(t, ['--models', join(files.dir, 'repository'), '--model', files.paths.yolov8, '--postprocess', 'detection', '--labels', names]);
  const photo = join(files.dir, 'photo.jpg');
  await writeFile(photo, await solidPng(1280, 720, [60, 60, 60]));
  const predicted = await sluice(['--server', server.address, 'predict', photo, '-m', 'yolov8']);
  assert.equal(predicted.code, 0, predicted.stderr);
  const boxes = detectionsOf(JSON.parse(predicted.stdout) as { prediction?: { detections?: DetectionJson[] } });
  assert.deepEqual(boxes.map((d) => d.label), YOLOV8_EXPECTED_DETECTIONS.map((d) => NAMES[d.classIndex]));
  // The first box, 100..300 in the 640x640 letterbox, is 200..600 across and 0..320 down the photo.
  assert.deepEqual([boxes[0]?.xMin, boxes[0]?.yMin, boxes[0]?.xMax, boxes[0]?.yMax], [200, undefined, 600, 320]);

  const frames = join(files.dir, 'frames');
  await mkdir(frames);
  for (let i = 0; i < 4; i++) await writeFile(join(frames, `frame-${i}.png`), await solidPng(640, 480, [i * 40, 0, 0]));
  const out = join(files.dir, 'results.jsonl');
  const streamed = await sluice(['--server', server.address, 'stream', frames, '-m', 'detector', '--out', out, '--json']);
  assert.equal(streamed.code, 0, streamed.stderr);
  const records = jsonLines<{ prediction?: { detections?: DetectionJson[] } }>(await readFile(out, 'utf8'));
  assert.equal(records.length, 4);
  for (const record of records) assert.deepEqual(detectionsOf(record).map((d) => d.label), ['person', 'bicycle', 'car']);

  const described = await sluice(['--server', server.address, 'models', 'yolov8']);
  assert.equal(described.code, 0, described.stderr);
  const sources = (JSON.parse(described.stdout) as { sources: { field: string; origin: string }[] }).sources;
  assert.ok(sources.some((s) => s.field === 'postprocessor' && s.origin === 'CONFIG_ORIGIN_OVERRIDE'), JSON.stringify(sources));
});
