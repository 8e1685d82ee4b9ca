import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../../../server/index.js';
import { loadModel } from '../../../server/repository/load-model.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { MODELS_DIR } from '../../helpers/test-server.js';

/** Writes a model folder holding the generated `add` model and the given config. */
async function modelFolder(t: { after: (fn: () => Promise<void>) => void }, yaml: string, name = 'broken'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-models-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, name);
  await mkdir(dir);
  await copyFile(join(MODELS_DIR, 'add', 'model.onnx'), join(dir, 'model.onnx'));
  await writeFile(join(dir, 'model.yaml'), yaml);
  return dir;
}

const configError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SluiceError, String(err));
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /model\.yaml/);
  assert.match(err.message, pattern);
  return true;
};

test('the repository loads every model folder and completes configs from the ONNX files', async () => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const det = repository.get('ppocr-det');
  assert.ok(det !== undefined);
  assert.equal(det.imageInput, 'x');
  assert.deepEqual(det.config.outputs.map((o) => [o.name, o.shape]), [['sigmoid_0.tmp_0', [-1n, 1n, -1n, -1n]]]);
  assert.equal(repository.get('ppocr-rec')?.spec?.labels.length, 6623);
});

test('invalid configs fail at load with the file and the field', async (t) => {
  const cases: [string, RegExp][] = [
    ['max_batch_sise: 4\n', /max_batch_sise is not a field of ModelConfig/],
    ['preprocessing:\n  width: 32\n  height: 32\n  resize_mode: RESIZE_MODE_SQUASH\n', /preprocessing\.resize_mode must be one of RESIZE_MODE_UNSPECIFIED/],
    ['max_batch_size: -2\n', /max_batch_size must be a non-negative integer/],
    ['file: missing.onnx\n', /file names "missing.onnx", which does not exist/],
    ['name: other\n', /name is "other" but the folder is "broken"/],
    ['inputs:\n  - { name: a, dtype: DATA_TYPE_INT32, shape: [-1, 4] }\n  - { name: b, dtype: DATA_TYPE_FLOAT32, shape: [-1, 4] }\n', /inputs\[0\]\.dtype is int32 but the file says float32/],
    ['inputs:\n  - { name: a, dtype: DATA_TYPE_FLOAT32, shape: [-1, 5] }\n  - { name: b, dtype: DATA_TYPE_FLOAT32, shape: [-1, 4] }\n', /inputs\[0\]\.shape\[1\] is 5 but the file fixes it at 4/],
    ['postprocessor:\n  classification: { output: probs }\n', /postprocessor\.classification\.output names "probs", which is not an output/],
    ['preprocessing: { width: 8, height: 8 }\n', /preprocessing\.input names a, which must be a float32 tensor of rank 4|must name one of the inputs/],
    ['labels: [a]\nlabels_file: labels.txt\n', /labels_file cannot be given together with labels/],
    ['description: [not, a, string]\n', /description must be a string/],
    ['max_batch_size: 4\n  bad indent: [\n', /not valid YAML/],
  ];
  for (const [yaml, pattern] of cases) {
    const dir = await modelFolder(t, yaml);
    await assert.rejects(loadModel(dir), configError(pattern), yaml);
  }
});

test('a models directory without models is an error', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'sluice-empty-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await assert.rejects(ModelRepository.load(root), (err: unknown) => err instanceof SluiceError && err.code === 'INVALID_CONFIG' && /has no models/.test(err.message));
  await assert.rejects(ModelRepository.load(join(root, 'nope')), (err: unknown) => err instanceof SluiceError && /does not exist/.test(err.message));
});

test('a pipeline must name models that exist and fit their roles', async (t) => {
  const dir = await modelFolder(t, 'description: adds\n', 'add');
  const root = join(dir, '..');
  await mkdir(join(root, 'reader'));
  const pipeline = (detector: string) => `pipeline:\n  ocr: { detector: ${detector}, recognizer: add }\n`;
  await writeFile(join(root, 'reader', 'model.yaml'), pipeline('nope'));
  await assert.rejects(ModelRepository.load(root), configError(/pipeline\.ocr\.detector names "nope", which is not in the repository/));
  await writeFile(join(root, 'reader', 'model.yaml'), pipeline('add'));
  await assert.rejects(ModelRepository.load(root), configError(/pipeline\.ocr\.detector names add, which must be an image model with the text_detection postprocessor/));
});

test('reading the ONNX files never loads onnxruntime on the main thread', async () => {
  const repository = await ModelRepository.load(MODELS_DIR);
  assert.ok(repository.get('ppocr-rec')?.config.inputs.length === 1, 'the signatures were read');
  // onnxruntime opens a model synchronously: on the main thread it would stall every stream.
  const onMain = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes(`${sep}onnxruntime-node${sep}`));
  assert.deepEqual(onMain, []);
});

test('a file onnxruntime cannot load fails naming the model and the kind of failure; the path and its words are in the cause', async (t) => {
  const dir = await modelFolder(t, 'description: broken\n');
  await writeFile(join(dir, 'model.onnx'), 'not an onnx file');
  const message = 'model "broken": model.onnx is not an ONNX model onnxruntime can load';
  await assert.rejects(loadModel(dir), (err: unknown) => {
    assert.ok(err instanceof SluiceError && err.code === 'INVALID_CONFIG', String(err));
    assert.equal(err.message, message);
    assert.ok(err.cause instanceof Error && err.cause.message.includes(dir), String(err.cause));
    return true;
  });
  // At start-up the operator reads the message, so it carries the details as well.
  await assert.rejects(ModelRepository.load(join(dir, '..')), (err: unknown) => err instanceof SluiceError && err.message.startsWith(`${message}: `) && err.message.includes(dir));
});
