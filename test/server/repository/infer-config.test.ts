/**
 * What Sluice infers from an ONNX file served without a model.yaml, what start-up settings
 * change, and how a file that cannot be served is refused.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ConfigOrigin } from '../../../gen/ts/sluice/v1/inference_service.js';
import { ChannelOrder, DetectionLayout, Layout, ResizeMode } from '../../../gen/ts/sluice/v1/model_config.js';
import { OnnxGraph } from '../../../models/tiny/onnx-graph.js';
import { modelFileOverrides } from '../../../server/config/model-file-overrides.js';
import { SluiceError, resolveServerConfig } from '../../../server/index.js';
import { type LoadedModel, loadModel, loadModelFile } from '../../../server/repository/load-model.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { writeKnownAnswerModels } from '../../helpers/known-answer-files.js';
import { MODELS_DIR } from '../../helpers/test-server.js';

async function scratch(t: Pick<TestContext, 'after'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-infer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const originOf = (model: LoadedModel, field: string): ConfigOrigin | undefined => model.sources.find((s) => s.field === field)?.origin;

const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SluiceError, String(err));
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, pattern);
  return true;
};

test('start-up settings replace what would be inferred, and GetModel says so', async (t) => {
  const files = await writeKnownAnswerModels(t);
  const overrides = modelFileOverrides({ postprocess: '', labels: '', mean: '0.485,0.456,0.406', std: '0.229,0.224,0.225', channelOrder: 'bgr', resize: 'letterbox', inputSize: '48x40' });
  const model = await loadModelFile(files.paths.classifier, { overrides });
  const pre = model.config.preprocessing;
  assert.equal(model.name, 'classifier');
  assert.deepEqual([pre?.width, pre?.height, pre?.resizeMode, pre?.channelOrder, pre?.layout], [48, 40, ResizeMode.RESIZE_MODE_LETTERBOX, ChannelOrder.CHANNEL_ORDER_BGR, Layout.LAYOUT_NCHW]);
  assert.deepEqual(pre?.mean.map((v) => Math.fround(v)), [0.485, 0.456, 0.406].map(Math.fround));
  for (const field of ['preprocessing.width', 'preprocessing.mean', 'preprocessing.std', 'preprocessing.channel_order', 'preprocessing.resize_mode']) {
    assert.equal(originOf(model, field), ConfigOrigin.CONFIG_ORIGIN_OVERRIDE, field);
  }
  assert.equal(originOf(model, 'preprocessing.layout'), ConfigOrigin.CONFIG_ORIGIN_INFERRED);

  // --postprocess none: tensors, even where a postprocessor would be guessed.
  const plain = await loadModelFile(files.paths.classifier, { overrides: { postprocess: 'none' } });
  assert.equal(plain.config.postprocessor, undefined);
  assert.match(plain.notes.join(), /--postprocess none/);
});

test('the PP-OCR files are served from the file alone, with the resize their postprocessor needs', async (t) => {
  const dir = await scratch(t);
  const copy = async (name: string): Promise<string> => {
    const path = join(dir, `${name}.onnx`);
    await copyFile(join(MODELS_DIR, name, 'model.onnx'), path);
    return path;
  };
  const det = await loadModelFile(await copy('ppocr-det'), { overrides: { postprocess: 'text_detection', width: 960, height: 960 } });
  assert.equal(det.config.postprocessor?.kind?.$case, 'textDetection');
  assert.deepEqual([det.config.preprocessing?.resizeMode, det.config.preprocessing?.width], [ResizeMode.RESIZE_MODE_FIT_STRIDE, 960]);
  const rec = await loadModelFile(await copy('ppocr-rec'), { overrides: { postprocess: 'ctc_decode' } });
  // Height 48 is fixed by the file; the width is dynamic and assumed.
  assert.deepEqual([rec.config.preprocessing?.resizeMode, rec.config.preprocessing?.height, rec.config.preprocessing?.width], [ResizeMode.RESIZE_MODE_FIT_HEIGHT, 48, 640]);
  const guessed = await loadModelFile(await copy('ppocr-rec'), {});
  assert.equal(guessed.config.postprocessor, undefined, 'a [N, T, 6625] output with a dynamic T is not guessed');
  assert.match(guessed.notes.join(), /no postprocessor fits/);
});

test('a folder holding one ONNX file and labels.txt is a model, and so is a top-level .onnx file', async (t) => {
  const root = await scratch(t);
  const files = await writeKnownAnswerModels(t);
  await copyFile(files.paths.yolov8, join(root, 'cats.onnx'));
  await mkdir(join(root, 'colours'));
  await copyFile(files.paths.classifier, join(root, 'colours', 'net.onnx'));
  await writeFile(join(root, 'colours', 'labels.txt'), 'a\nb\nc\nd\n');
  await mkdir(join(root, '.staging-x'));
  await copyFile(files.paths.classifier, join(root, '.staging-x', 'model.onnx'));
  const repository = await ModelRepository.load(root);
  assert.deepEqual(repository.list().map((m) => m.name), ['cats', 'colours']);
  assert.deepEqual(repository.get('colours')?.config.labels, ['a', 'b', 'c', 'd']);
  const detection = repository.get('cats')?.config.postprocessor?.kind;
  assert.equal(detection?.$case === 'detection' ? detection.value.layout : undefined, DetectionLayout.DETECTION_LAYOUT_YOLOV8);

  // Two ONNX files and no model.yaml: which one is meant cannot be told.
  await copyFile(files.paths.yolov5, join(root, 'colours', 'other.onnx'));
  await assert.rejects(loadModel(join(root, 'colours')), refused(/exactly one/));
});

test('files that cannot be served are refused with the file and the reason', async (t) => {
  const dir = await scratch(t);
  const broken = join(dir, 'broken.onnx');
  await writeFile(broken, Buffer.from('not a model at all'));
  await assert.rejects(loadModelFile(broken), refused(/broken\.onnx is not an ONNX model/));

  // A graph with no inputs: it computes a constant.
  const graph = new OnnxGraph('constant');
  const out = graph.output('out', 'float32', [1, 2]);
  graph.node('Identity', [graph.constant('value', 'float32', [1, 2], [1, 2])], { outputs: [out] });
  const constant = join(dir, 'constant.onnx');
  await writeFile(constant, graph.toModel());
  await assert.rejects(loadModelFile(constant), refused(/constant\.onnx: inputs cannot be served: the file declares no inputs/));

  // A detector asked of a classifier's outputs.
  const files = await writeKnownAnswerModels(t);
  await assert.rejects(loadModelFile(files.paths.classifier, { overrides: { postprocess: 'detection' } }), refused(/classifier\.onnx: postprocessor\.detection cannot read the outputs logits/));
  await assert.rejects(loadModelFile(files.paths.classifier, { overrides: { postprocess: 'segmentation' } }), refused(/postprocessor\.segmentation needs/));
  await assert.rejects(loadModelFile(files.paths.classifier, { overrides: { postprocess: 'peaks' } }), refused(/postprocessor\.peaks needs an \[N, C, H, W\] heatmap; logits float32 \[N, 4\] is not/));
});

test('--model and its settings are read from flags, the environment and the file', () => {
  const config = resolveServerConfig({ flags: { modelFiles: ['./a/yolo.onnx', 'cars=/m/det.onnx'], postprocess: 'detection', inputSize: '320x240' } });
  assert.deepEqual(config.modelFiles.map((f) => f.name), ['yolo', 'cars']);
  assert.equal(config.modelsDir, '', 'no repository folder unless one is given');
  assert.deepEqual(modelFileOverrides(config), { postprocess: 'detection', labelsFile: undefined, mean: undefined, std: undefined, channelOrder: undefined, resizeMode: undefined, width: 320, height: 240 });
  const fromEnv = resolveServerConfig({ env: { SLUICE_MODEL_FILES: '/m/a.onnx;/m/b.onnx', SLUICE_MODELS: '/m' } });
  assert.deepEqual([fromEnv.modelFiles.map((f) => f.name), fromEnv.modelsDir], [['a', 'b'], '/m']);
  const fromFile = resolveServerConfig({ file: { path: 's.yaml', values: {}, modelFiles: ['x=/m/y.onnx'] } });
  assert.deepEqual(fromFile.modelFiles, [{ name: 'x', path: '/m/y.onnx' }]);

  const invalid = (flags: Parameters<typeof resolveServerConfig>[0], pattern: RegExp): void => {
    assert.throws(() => resolveServerConfig(flags), refused(pattern));
  };
  invalid({ flags: { modelFiles: ['model.pt'] } }, /--model must name an \.onnx file/);
  invalid({ flags: { postprocess: 'detection' } }, /--postprocess shapes the configuration of --model files/);
  invalid({ flags: { modelFiles: ['a.onnx'], postprocess: 'boxes' } }, /--postprocess must be one of/);
  invalid({ flags: { modelFiles: ['a.onnx'], mean: '0.5,x' } }, /--mean must be 1 to 3 comma-separated numbers/);
  invalid({ flags: { modelFiles: ['a.onnx'], inputSize: '640' } }, /--input-size must be WIDTHxHEIGHT/);
});
