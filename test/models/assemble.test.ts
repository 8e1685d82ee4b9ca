import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { assembleModels, MODELS_ROOT } from '../../models/assemble-models.js';
import { ModelConfig } from '../../gen/ts/sluice/v1/model_config.js';

const MODEL_NAMES = ['add', 'ppocr-cls', 'ppocr-det', 'ppocr-rec', 'tiny-cnn', 'tiny-heatmap'];
/** Pipelines chain the models above and have a model.yaml but no file. */
const PIPELINE_NAMES = ['ocr'];

/** onnxruntime's tensor type names, as `DataType` enum names. */
const DTYPES: Readonly<Record<string, string>> = {
  float32: 'DATA_TYPE_FLOAT32',
  float64: 'DATA_TYPE_FLOAT64',
  float16: 'DATA_TYPE_FLOAT16',
  int8: 'DATA_TYPE_INT8',
  uint8: 'DATA_TYPE_UINT8',
  int16: 'DATA_TYPE_INT16',
  uint16: 'DATA_TYPE_UINT16',
  int32: 'DATA_TYPE_INT32',
  uint32: 'DATA_TYPE_UINT32',
  int64: 'DATA_TYPE_INT64',
  uint64: 'DATA_TYPE_UINT64',
  bool: 'DATA_TYPE_BOOL',
};

interface Spec {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

// Every test reads the real `models/` folder, so assemble it once, as `npm run models` would.
const assembled = await assembleModels();

async function openSession(t: TestContext, model: string): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(join(MODELS_ROOT, model, 'model.onnx'), {
    intraOpNumThreads: 1,
  });
  t.after(() => session.release());
  return session;
}

async function readConfig(model: string): Promise<Record<string, unknown>> {
  const raw: unknown = parse(await readFile(join(MODELS_ROOT, model, 'model.yaml'), 'utf8'));
  assert.ok(
    raw !== null && typeof raw === 'object' && !Array.isArray(raw),
    `${model}/model.yaml is a mapping`,
  );
  return raw as Record<string, unknown>;
}

/** What onnxruntime reports, as `TensorSpec`s in proto3 JSON form (symbolic dimensions become -1). */
function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): Spec[] {
  return metadata.map((value) => {
    assert.ok(value.isTensor, `${value.name} is a tensor`);
    const dtype = DTYPES[value.type];
    assert.ok(dtype !== undefined, `${value.name} has a known type (${value.type})`);
    const shape = value.shape.map((dim) => (typeof dim === 'number' ? dim : -1));
    return { name: value.name, dtype, shape };
  });
}

/** proto3 JSON writes int64 values as strings: the YAML's shapes as `toJSON` writes them. */
function int64AsJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(int64AsJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === 'shape' && Array.isArray(v) ? v.map(String) : int64AsJson(v)]),
  );
}

function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      camelCaseKeys(inner),
    ]),
  );
}

function floatTensor(data: readonly number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

function outputData(outputs: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const tensor = outputs[name];
  assert.ok(tensor !== undefined, `output ${name} exists`);
  assert.ok(tensor.data instanceof Float32Array, `output ${name} is float32`);
  return tensor.data;
}

test('assembles every model folder with a model.yaml and a model.onnx', async () => {
  assert.deepEqual(assembled.map((model) => model.name).sort(), MODEL_NAMES);
  const entries = await readdir(MODELS_ROOT, { withFileTypes: true });
  const withConfig = entries
    .filter((entry) => entry.isDirectory() && existsSync(join(MODELS_ROOT, entry.name, 'model.yaml')))
    .map((entry) => entry.name)
    .sort();
  assert.deepEqual(withConfig, [...MODEL_NAMES, ...PIPELINE_NAMES].sort());
  for (const model of MODEL_NAMES) {
    assert.ok(existsSync(join(MODELS_ROOT, model, 'model.onnx')), `${model}/model.onnx exists`);
  }
  const keys = await readFile(join(MODELS_ROOT, 'ppocr-rec', 'ppocr_keys_v1.txt'), 'utf8');
  assert.equal(keys.split('\n').length, 6623);
});

test('assembly into a given root writes once, then only what is missing or stale', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'sluice-models-'));
  t.after(() => rm(root, { recursive: true, force: true }));

  const first = await assembleModels({ root });
  assert.deepEqual(first.filter((model) => !model.changed).map((model) => model.name), []);
  for (const model of first) {
    for (const file of model.files) assert.ok(file.startsWith(root), `${file} is under the root`);
  }

  const second = await assembleModels({ root });
  assert.deepEqual(second.filter((model) => model.changed).map((model) => model.name), []);

  await truncate(join(root, 'ppocr-cls', 'model.onnx'), 10);
  await truncate(join(root, 'tiny-cnn', 'model.onnx'), 10);
  const third = await assembleModels({ root });
  const rewritten = third.filter((model) => model.changed).map((model) => model.name);
  assert.deepEqual(rewritten.sort(), ['ppocr-cls', 'tiny-cnn']);
  assert.deepEqual(
    third.map((model) => [model.name, model.bytes]),
    first.map((model) => [model.name, model.bytes]),
  );
});

for (const model of MODEL_NAMES) {
  test(`${model}/model.yaml is a ModelConfig that agrees with its ONNX file`, async (t) => {
    const raw = await readConfig(model);
    // A proto3 JSON round trip drops unknown fields and turns misspelt enum names into
    // UNRECOGNIZED, so it only comes back unchanged when every field is part of the schema.
    const config = ModelConfig.fromJSON(raw);
    assert.deepEqual(ModelConfig.toJSON(config), int64AsJson(camelCaseKeys(raw)));
    assert.ok(config.description.length > 0, 'has a description');
    assert.ok(config.maxBatchSize >= 1, 'has a max_batch_size');

    const session = await openSession(t, model);
    const inputs = specsOf(session.inputMetadata);
    const outputs = specsOf(session.outputMetadata);
    if (model.startsWith('ppocr-')) {
      // The server reads the PP-OCR tensors from the file; the yaml leaves them out.
      assert.deepEqual(config.inputs, []);
      assert.deepEqual(config.outputs, []);
    } else {
      assert.deepEqual(raw['inputs'], inputs);
      assert.deepEqual(raw['outputs'], outputs);
    }
    if (config.preprocessing !== undefined) {
      assert.equal(inputs.length, 1, 'a model fed by images has one input');
      const channels = config.preprocessing.channelOrder === 3 ? 1 : 3;
      assert.equal(inputs[0]?.shape[1], channels);
    }
    if (config.labelsFile !== '') {
      assert.ok(existsSync(join(MODELS_ROOT, model, config.labelsFile)), `${config.labelsFile} exists`);
    }
    if (config.labels.length > 0 && config.postprocessor?.kind?.$case === 'classification') {
      assert.equal(outputs[0]?.shape.at(-1), config.labels.length, 'one label per class');
    }
  });
}

test('ppocr-rec has a class for the blank, each key and the space', async (t) => {
  const session = await openSession(t, 'ppocr-rec');
  const keys = (await readFile(join(MODELS_ROOT, 'ppocr-rec', 'ppocr_keys_v1.txt'), 'utf8')).split('\n');
  assert.equal(specsOf(session.outputMetadata)[0]?.shape.at(-1), keys.length + 2);
});

test('add computes a + b for a batch of 2', async (t) => {
  const session = await openSession(t, 'add');
  const a = [1, 2, 3, 4, 5, 6, 7, 8];
  const b = [0.5, -2, 10, 0, -5, 1, 1, 100];
  const outputs = await session.run({ a: floatTensor(a, [2, 4]), b: floatTensor(b, [2, 4]) });
  assert.deepEqual(outputs['sum']?.dims, [2, 4]);
  const expected = a.map((value, i) => value + (b[i] ?? Number.NaN));
  assert.deepEqual(Array.from(outputData(outputs, 'sum')), expected);
});

test('tiny-cnn names the dominant colour of a plain image', async (t) => {
  const session = await openSession(t, 'tiny-cnn');
  const plane = 32 * 32;
  // A batch of pure red, green and blue images, preprocessed as model.yaml says:
  // (pixel / 255 - 0.5) / 0.5, so 1 on the lit channel and -1 on the others.
  const data = new Float32Array(3 * 3 * plane).fill(-1);
  for (let colour = 0; colour < 3; colour++) {
    data.fill(1, (colour * 3 + colour) * plane, (colour * 3 + colour + 1) * plane);
  }
  const outputs = await session.run({ image: new ort.Tensor('float32', data, [3, 3, 32, 32]) });
  const probs = outputData(outputs, 'probs');
  for (let colour = 0; colour < 3; colour++) {
    const row = Array.from(probs.subarray(colour * 3, colour * 3 + 3));
    assert.equal(row.indexOf(Math.max(...row)), colour, `image ${colour}: ${row.join(', ')}`);
    assert.ok((row[colour] ?? 0) > 0.9, `class ${colour} has probability ${row[colour]}`);
  }
});

test('tiny-heatmap turns a bright pixel into a peak and keeps grey and black low', async (t) => {
  const session = await openSession(t, 'tiny-heatmap');
  const size = 64;
  const bright = 20 * size + 40;
  const black = 5 * size + 5;
  // Mid-grey, with one white pixel and one black one, scaled to 0..1 as model.yaml says.
  const data = new Float32Array(size * size).fill(128 / 255);
  data[bright] = 1;
  data[black] = 0;
  const outputs = await session.run({ image: new ort.Tensor('float32', data, [1, 1, size, size]) });
  const heatmap = outputData(outputs, 'heatmap');
  assert.ok((heatmap[bright] ?? 0) > 0.9, `bright pixel: ${heatmap[bright]}`);
  assert.ok((heatmap[black] ?? 1) < 0.1, `black pixel: ${heatmap[black]}`);
  const background = Math.max(...Array.from(heatmap).filter((_, i) => i !== bright));
  assert.ok(background < 0.1, `highest value off the bright pixel: ${background}`);
});
