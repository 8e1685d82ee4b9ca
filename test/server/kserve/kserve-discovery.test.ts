import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { ModelMetadataResponse, type ModelMetadataResponse_TensorMetadata as TensorMetadata } from '../../../gen/ts/inference/grpc_service.js';
import { DataType } from '../../../gen/ts/inference/model_config.js';
import { addInfer, failure, imageInfer, kserveClient, unary } from '../../helpers/kserve-client.js';
import { renderText } from '../../helpers/images.js';
import { startTestServer } from '../../helpers/test-server.js';

const run = promisify(execFile);
const BUF = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

const described = (tensors: readonly TensorMetadata[]): [string, string, number[]][] => tensors.map((t) => [t.name, t.datatype, t.shape.map(Number)]);

test('ServerLive, ServerReady and ServerMetadata describe the server honestly', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  assert.deepEqual(await unary(client.serverLive.bind(client), {}), { live: true });
  assert.deepEqual(await unary(client.serverReady.bind(client), {}), { ready: true });
  const metadata = await unary(client.serverMetadata.bind(client), {});
  const pkg = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  assert.equal(metadata.name, 'sluice');
  assert.equal(metadata.version, pkg.version);
  assert.deepEqual([...metadata.extensions].sort(), ['model_configuration', 'model_repository', 'statistics']);
});

test('ModelReady and ModelMetadata: tensors as declared, images as one BYTES input, results as named outputs', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const metadataOf = (name: string, version = ''): Promise<ModelMetadataResponse> => unary(client.modelMetadata.bind(client), { name, version });

  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'add', version: '' }), { ready: true });
  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'add', version: '1' }), { ready: true });
  // A name the repository does not have is not ready (Triton's answer), and has no metadata.
  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'nope', version: '' }), { ready: false });
  const unknown = await failure(metadataOf('nope'));
  assert.equal(unknown.code, status.NOT_FOUND);
  assert.match(unknown.details, /"nope"/);
  for (const call of [() => unary(client.modelReady.bind(client), { name: 'add', version: '2' }), () => metadataOf('add', '2')]) {
    const err = await failure(call());
    assert.equal(err.code, status.NOT_FOUND);
    assert.match(err.details, /version "2"/);
  }

  const add = await metadataOf('add', '1');
  assert.deepEqual({ ...add, inputs: described(add.inputs), outputs: described(add.outputs) }, {
    name: 'add',
    versions: ['1'],
    platform: 'onnxruntime_onnx',
    inputs: [['a', 'FP32', [-1, 4]], ['b', 'FP32', [-1, 4]]],
    outputs: [['sum', 'FP32', [-1, 4]]],
  });

  const cnn = await metadataOf('tiny-cnn');
  assert.equal(cnn.platform, 'onnxruntime_onnx');
  assert.deepEqual(described(cnn.inputs), [['image', 'BYTES', [1]]]);
  assert.deepEqual(described(cnn.outputs), [['result', 'BYTES', [1]], ['class_ids', 'INT64', [-1]], ['class_scores', 'FP32', [-1]], ['class_labels', 'BYTES', [-1]]]);

  const det = await metadataOf('ppocr-det');
  assert.deepEqual(described(det.inputs), [['image', 'BYTES', [1]]]);
  assert.deepEqual(described(det.outputs), [['result', 'BYTES', [1]], ['boxes', 'FP32', [-1, 4]], ['scores', 'FP32', [-1]]]);

  const rec = await metadataOf('ppocr-rec');
  assert.deepEqual(described(rec.outputs), [['result', 'BYTES', [1]], ['text', 'BYTES', [1]], ['text_score', 'FP32', [1]]]);

  const heatmap = await metadataOf('tiny-heatmap');
  assert.deepEqual(described(heatmap.outputs), [['result', 'BYTES', [1]], ['points', 'FP32', [-1, 2]], ['point_scores', 'FP32', [-1]], ['point_channels', 'INT64', [-1]]]);

  const ocr = await metadataOf('ocr');
  assert.equal(ocr.platform, 'ensemble');
  assert.deepEqual(described(ocr.inputs), [['image', 'BYTES', [1]]]);
  assert.deepEqual(described(ocr.outputs), [
    ['result', 'BYTES', [1]],
    ['boxes', 'FP32', [-1, 4]],
    ['scores', 'FP32', [-1]],
    ['texts', 'BYTES', [-1]],
    ['text_scores', 'FP32', [-1]],
  ]);
});

test('ModelConfig gives perf_analyzer what it reads: batch size, dims without the batch dimension, dynamic batching', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const configOf = async (name: string) => {
    const { config } = await unary(client.modelConfig.bind(client), { name, version: '' });
    assert.ok(config !== undefined);
    return config;
  };

  const add = await configOf('add');
  assert.equal(add.name, 'add');
  assert.equal(add.platform, 'onnxruntime_onnx');
  assert.equal(add.maxBatchSize, 8);
  assert.deepEqual(add.input.map((i) => [i.name, i.dataType, i.dims.map(Number)]), [['a', DataType.TYPE_FP32, [4]], ['b', DataType.TYPE_FP32, [4]]]);
  assert.deepEqual(add.output.map((o) => [o.name, o.dataType, o.dims.map(Number)]), [['sum', DataType.TYPE_FP32, [4]]]);
  assert.equal(add.schedulingChoice?.$case, 'dynamicBatching');

  // A request holds one image, so no batch dimension; the server still batches requests together.
  const cnn = await configOf('tiny-cnn');
  assert.equal(cnn.maxBatchSize, 0);
  assert.deepEqual(cnn.input.map((i) => [i.name, i.dataType, i.dims.map(Number)]), [['image', DataType.TYPE_STRING, [1]]]);
  assert.deepEqual(cnn.output.map((o) => [o.name, o.dataType]), [
    ['result', DataType.TYPE_STRING],
    ['class_ids', DataType.TYPE_INT64],
    ['class_scores', DataType.TYPE_FP32],
    ['class_labels', DataType.TYPE_STRING],
  ]);
  assert.equal(cnn.schedulingChoice?.$case, 'dynamicBatching');

  // ppocr-det runs one image at a time; the pipeline is an ensemble of stages.
  assert.equal((await configOf('ppocr-det')).schedulingChoice, undefined);
  const ocr = await configOf('ocr');
  assert.equal(ocr.platform, 'ensemble');
  assert.equal(ocr.schedulingChoice, undefined);

  assert.equal((await failure(configOf('nope'))).code, status.NOT_FOUND);
  const version = await failure(unary(client.modelConfig.bind(client), { name: 'add', version: '3' }));
  assert.equal(version.code, status.NOT_FOUND);
  assert.match(version.details, /version "3"/);
});

test('RepositoryIndex lists the models and ModelStatistics counts their requests', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const { models } = await unary(client.repositoryIndex.bind(client), { repositoryName: '', ready: false });
  for (const name of ['add', 'ocr', 'ppocr-det', 'tiny-cnn']) assert.deepEqual(models.find((m) => m.name === name), { name, version: '1', state: 'READY', reason: '' });
  assert.equal((await failure(unary(client.repositoryIndex.bind(client), { repositoryName: 'other', ready: false }))).code, status.NOT_FOUND);

  await unary(client.modelInfer.bind(client), addInfer('1', [1, 2, 3, 4], [1, 1, 1, 1]));
  await unary(client.modelInfer.bind(client), addInfer('2', [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 1, 1, 1, 1]));
  await failure(unary(client.modelInfer.bind(client), imageInfer('bad', 'tiny-cnn', Buffer.from('not an image'))));
  const { modelStats } = await unary(client.modelStatistics.bind(client), { name: 'add', version: '' });
  assert.equal(modelStats.length, 1);
  const add = modelStats[0];
  assert.equal(add?.name, 'add');
  assert.equal(add?.version, '1');
  assert.equal(add?.inferenceStats?.success?.count, 2n);
  assert.ok((add?.inferenceStats?.success?.ns ?? 0n) > 0n);
  const cnn = (await unary(client.modelStatistics.bind(client), { name: 'tiny-cnn', version: '1' })).modelStats[0];
  assert.equal(cnn?.inferenceStats?.fail?.count, 1n);

  const every = await unary(client.modelStatistics.bind(client), { name: '', version: '' });
  assert.ok(every.modelStats.some((s) => s.name === 'ppocr-det'));
  assert.equal((await failure(unary(client.modelStatistics.bind(client), { name: 'nope', version: '' }))).code, status.NOT_FOUND);
  assert.equal((await failure(unary(client.modelStatistics.bind(client), { name: 'add', version: '7' }))).code, status.NOT_FOUND);
});

test('ServerReady and ModelReady turn false while the server drains', async (t) => {
  const { server, address } = await startTestServer(t, { drainTimeoutMs: 30_000 });
  const client = kserveClient(t, address);
  const page = await renderText(960, 960, [{ text: 'draining slowly', x: 80, y: 400, size: 80 }]);
  // Items in flight keep the server draining (and answering calls) for a while.
  const inFlight = [0, 1, 2, 3].map((i) => unary(client.modelInfer.bind(client), imageInfer(`page-${i}`, 'ppocr-det', page)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = server.close();
  assert.deepEqual(await unary(client.serverReady.bind(client), {}), { ready: false });
  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'add', version: '' }), { ready: false });
  assert.deepEqual(await unary(client.serverLive.bind(client), {}), { live: true });
  const answered = await Promise.allSettled(inFlight);
  assert.ok(answered.every((a) => a.status === 'fulfilled'), 'every item accepted before the drain is answered');
  assert.equal(await closing, 'drained');
});

test('reflection describes the Open Inference Protocol, so buf curl calls it without local protos', async (t) => {
  const { address } = await startTestServer(t);
  const curl = async (args: readonly string[], path = ''): Promise<string> =>
    (await run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args, `http://${address}${path}`])).stdout;
  assert.match(await curl(['--list-services']), /inference\.GRPCInferenceService/);
  const config = JSON.parse(await curl(['--data', '{"name": "add"}'], '/inference.GRPCInferenceService/ModelConfig')) as { config: { maxBatchSize: number; input: { dataType: string }[] } };
  assert.equal(config.config.maxBatchSize, 8);
  assert.equal(config.config.input[0]?.dataType, 'TYPE_FP32');
  // A map field (parameters) too: reflection names map entries as protoc does, or Go clients refuse the schema.
  const body = JSON.stringify({ modelName: 'add', parameters: { timeout: { int64Param: '60000000' } }, inputs: ['a', 'b'].map((name) => ({ name, datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [1, 2, 3, 4] } })) });
  const answer = JSON.parse(await curl(['--data', body], '/inference.GRPCInferenceService/ModelInfer')) as { rawOutputContents: string[] };
  const sum = Buffer.from(answer.rawOutputContents[0] ?? '', 'base64');
  assert.deepEqual([...new Float32Array(new Uint8Array(sum).buffer)], [2, 4, 6, 8]);
});
