import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetModelResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { buildYolov8LayoutModel } from '../../../models/tiny/yolov8-layout-model.js';
import { type LoadedModel, loadModel, loadModelFile } from '../../../server/repository/load-model.js';
import { type ConfigSetting, type ConfigSourceJson, type ModelConfigJson, summariseConfig } from '../../../web-bridge/viewer/model-config-summary.js';
import { MODELS_DIR } from '../../helpers/test-server.js';

/** The summary of `loaded` as the page gets it: proto3 JSON, as `GetModel` answers through the bridge. */
function summaryOf(loaded: LoadedModel): Map<string, ConfigSetting> {
  const json = GetModelResponse.toJSON({ config: loaded.config, state: 0, sources: [...loaded.sources] }) as { config: ModelConfigJson; sources?: ConfigSourceJson[] };
  return new Map(summariseConfig(json.config, json.sources ?? []).map((s) => [s.key, s]));
}

test('an ONNX file alone: every main setting inferred, each with its reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-summary-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'cats.onnx'), buildYolov8LayoutModel());
  const summary = summaryOf(await loadModelFile(join(dir, 'cats.onnx')));
  assert.deepEqual([...summary.keys()], ['input', 'size', 'resize', 'layout', 'channels', 'postprocessor', 'postprocessor-layout', 'batch', 'labels']);
  assert.deepEqual(
    [...summary.values()].map((s) => [s.key, s.value, s.origin]),
    [
      ['input', 'image → images float32 [N, 3, 640, 640]', 'inferred'],
      ['size', '640 × 640', 'inferred'],
      ['resize', 'letterbox, padded with grey 114', 'inferred'],
      ['layout', 'NCHW', 'inferred'],
      ['channels', 'RGB', 'inferred'],
      ['postprocessor', 'detection: boxes with labels', 'inferred'],
      ['postprocessor-layout', 'YOLOv8 [N, 4 + classes, boxes]', 'inferred'],
      ['batch', 'up to 8', 'inferred'],
      ['labels', 'none', 'default'],
    ],
  );
  for (const s of summary.values()) assert.equal(s.reason !== '', s.origin === 'inferred', `${s.key}: a reason exactly when inferred`);
});

test('a model.yaml: its values are said to come from it, a tensor model has no image rows', async () => {
  const classifier = summaryOf(await loadModel(join(MODELS_DIR, 'tiny-cnn')));
  assert.deepEqual(
    [...classifier.values()].map((s) => [s.key, s.value, s.origin]),
    [
      ['input', 'image → image float32 [N, 3, 32, 32]', 'model.yaml'],
      ['size', '32 × 32', 'model.yaml'],
      ['resize', 'stretch', 'model.yaml'],
      ['layout', 'NCHW', 'model.yaml'],
      ['channels', 'RGB', 'model.yaml'],
      ['postprocessor', 'classification: top-k classes', 'model.yaml'],
      ['postprocessor-layout', 'top 3, softmax unless the outputs are already probabilities', 'model.yaml'],
      ['batch', 'up to 16', 'model.yaml'],
      ['labels', '3 (red, green, blue)', 'model.yaml'],
    ],
  );
  const add = summaryOf(await loadModel(join(MODELS_DIR, 'add')));
  assert.deepEqual([...add.keys()], ['input', 'postprocessor', 'batch', 'labels']);
  assert.equal(add.get('input')?.value, 'tensors (a float32 [N, 4], b float32 [N, 4])');
  assert.equal(add.get('postprocessor')?.value, 'none: answers carry the output tensors');
});
