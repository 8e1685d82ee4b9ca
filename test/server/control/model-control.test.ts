import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { GrpcStatus, type PredictRequest, type PredictResponse, SluiceClient, isServiceError } from '../../../client/index.js';
import { DataType } from '../../../gen/ts/sluice/v1/tensor.js';
import { INFERENCE_SERVICE_NAME } from '../../../server/control/inference-service-name.js';
import { ModelControl } from '../../../server/control/model-control.js';
import { ModelRouter } from '../../../server/pipeline/model-router.js';
import { WorkerPool } from '../../../server/pool/worker-pool.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { Scheduler } from '../../../server/scheduler/scheduler.js';
import { renderText } from '../../helpers/images.js';
import { captureLog } from '../../helpers/log-capture.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { addRequest, describeResult, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const hasCode = (code: GrpcStatus, pattern?: RegExp) => (err: unknown) => isServiceError(err) && err.code === code && (pattern === undefined || pattern.test(err.details));

test('load, reload and unload under a live stream lose no item', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'tiny-cnn', from: 'tiny-cnn' },
  ]);
  const { client } = await startTestServer(t, { modelsDir: models });
  const total = 400;
  async function* feed(): AsyncGenerator<PredictRequest> {
    for (let i = 0; i < total; i++) {
      yield addRequest(`${i}`, [i, 0, 0, 0], [1, 0, 0, 0]);
      if (i % 4 === 0) await sleep(2);
    }
  }
  const responses: PredictResponse[] = [];
  const streaming = (async () => {
    for await (const r of client.predictStream(feed(), { streamOptions: { maxInFlight: 32 } })) responses.push(r);
  })();

  await sleep(100);
  const reloaded = await client.loadModel('add');
  assert.equal(reloaded.model?.name, 'add');
  await client.unloadModel('tiny-cnn');
  await writeFile(join(models, 'add', 'model.yaml'), (await readFile(join(models, 'add', 'model.yaml'), 'utf8')).replace(/^description:.*$/m, 'description: second version'));
  await client.loadModel('add');
  await streaming;

  assert.equal(responses.length, total);
  responses.forEach((r, i) => {
    assert.equal(r.id, `${i}`);
    assert.equal(r.result?.$case, 'prediction', `item ${i}: ${describeResult(r)}`);
  });
  assert.equal((await client.getModel('add')).config?.description, 'second version');
  assert.deepEqual((await client.listModels()).models.map((m) => m.name), ['add']);
  assert.equal(await client.health('sluice.v1.InferenceService/tiny-cnn'), 'NOT_SERVING');

  await client.loadModel('tiny-cnn');
  assert.deepEqual((await client.listModels()).models.map((m) => m.name), ['add', 'tiny-cnn']);
  assert.equal(await client.health('sluice.v1.InferenceService/tiny-cnn'), 'SERVING');
});

test('a broken config on reload leaves the loaded version serving; unknown names are refused', async (t) => {
  const models = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const { client } = await startTestServer(t, { modelsDir: models });
  await writeFile(join(models, 'add', 'model.yaml'), 'max_batch_sise: 4\n');
  await assert.rejects(client.loadModel('add'), hasCode(GrpcStatus.FAILED_PRECONDITION, /model\.yaml: max_batch_sise is not a field/));
  const still = await client.predictOne(addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.equal(still.result?.$case, 'prediction');
  await assert.rejects(client.loadModel('missing'), hasCode(GrpcStatus.NOT_FOUND));
  await assert.rejects(client.loadModel('../etc'), hasCode(GrpcStatus.NOT_FOUND));
  await assert.rejects(client.unloadModel('missing'), hasCode(GrpcStatus.NOT_FOUND));
});

test('repository polling loads new folders, reloads changed ones and unloads removed ones', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'tiny-cnn', from: 'tiny-cnn' },
  ]);
  const { client } = await startTestServer(t, { modelsDir: models, pollIntervalMs: 100 });
  const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await sleep(50);
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const { cp } = await import('node:fs/promises');
  await cp(join(models, 'add'), join(models, 'add-two'), { recursive: true });
  await until(async () => (await client.listModels()).models.some((m) => m.name === 'add-two'), 'add-two to load');
  const yaml = join(models, 'add', 'model.yaml');
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^description:.*$/m, 'description: polled'));
  await until(async () => (await client.getModel('add')).config?.description === 'polled', 'add to reload');
  await rm(join(models, 'tiny-cnn'), { recursive: true });
  await until(async () => !(await client.listModels()).models.some((m) => m.name === 'tiny-cnn'), 'tiny-cnn to unload');
  const served = await client.predictOne({ ...addRequest('p', [1, 1, 1, 1], [1, 1, 1, 1]), model: 'add-two' });
  assert.equal(served.result?.$case, 'prediction');
});

test('LoadModel failures name the model and the kind of failure; paths and onnxruntime\'s words stay in the log', async (t) => {
  const models = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const log = captureLog('warn');
  const { client } = await startTestServer(t, { modelsDir: models }, { logger: log.logger });
  const details = async (): Promise<string> => {
    const err = await client.loadModel('add').then(() => assert.fail('the load should fail'), (e: unknown) => e);
    assert.ok(isServiceError(err) && err.code === GrpcStatus.FAILED_PRECONDITION, String(err));
    assert.ok(!err.details.includes(models) && !err.details.includes(tmpdir()), `a path reached the client: ${err.details}`);
    return err.details;
  };
  const onnx = join(models, 'add', 'model.onnx');
  const good = await readFile(onnx);
  await writeFile(onnx, 'not an onnx file');
  assert.equal(await details(), 'model "add": model.onnx is not an ONNX model onnxruntime can load');
  const logged = JSON.stringify(await log.waitFor('model not loaded'));
  assert.ok(logged.includes(onnx), 'the log has the path and onnxruntime\'s reason');
  await writeFile(onnx, good);

  const yaml = join(models, 'add', 'model.yaml');
  await writeFile(yaml, 'max_batch_size: 4\n  bad indent: [\n');
  assert.match(await details(), /^model "add": model\.yaml is not valid YAML \(line \d+, column \d+\)$/);
  await writeFile(yaml, 'file: elsewhere.onnx\n');
  assert.equal(await details(), 'model "add": model.yaml: file names "elsewhere.onnx", which does not exist in the model folder');

  const still = await client.predictOne(addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.equal(still.result?.$case, 'prediction', 'the loaded version still serves');
});

test('LoadModel calls made while a change is applied share one follow-up change, and one result when the files have not changed', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'tiny-cnn', from: 'tiny-cnn' },
  ]);
  const log = captureLog('info');
  const { client } = await startTestServer(t, { modelsDir: models }, { logger: log.logger });
  const poolsStarted = (): number => log.withMessage('workers ready').length;
  const before = poolsStarted();

  const same = await Promise.all(Array.from({ length: 5 }, () => client.loadModel('add')));
  assert.ok(same.every((r) => r.model?.name === 'add'));
  assert.equal(poolsStarted() - before, 1, 'five loads of unchanged files start one pool');

  const mixed = await Promise.all([...Array.from({ length: 4 }, () => client.loadModel('add')), ...Array.from({ length: 4 }, () => client.loadModel('tiny-cnn'))]);
  assert.deepEqual(mixed.map((r) => r.model?.name), [...Array<string>(4).fill('add'), ...Array<string>(4).fill('tiny-cnn')]);
  assert.ok(poolsStarted() - before <= 3, `${poolsStarted() - before - 1} pools started for eight loads asked for together`);
  const served = await client.predictOne(addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.equal(served.result?.$case, 'prediction');
});

test('a run past --run-timeout fails its item with INTERNAL, a fresh pool replaces the stuck worker, and the server keeps serving', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'ppocr-det', from: 'ppocr-det' },
  ]);
  const log = captureLog('info');
  // One worker, held by the stuck run: what comes next waits for the fresh pool, not behind it.
  const { client } = await startTestServer(t, { modelsDir: models, workers: 1, runTimeoutMs: 100 }, { logger: log.logger });
  const page = await renderText(960, 960, [{ text: 'a slow page', x: 80, y: 480, size: 90 }]);
  await assert.rejects(client.predictOne(imageItem('slow', 'ppocr-det', page)), hasCode(GrpcStatus.INTERNAL));
  await log.waitFor('replacing the worker pool');
  const served = await client.predictOne(addRequest('after', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.equal(served.result?.$case, 'prediction', describeResult(served));
  for (let i = 0; i < 200 && log.withMessage('workers ready').length < 2; i++) await sleep(50);
  assert.equal(log.withMessage('workers ready').length, 2, 'a fresh pool started');
  assert.equal(await client.health(), 'SERVING');
  assert.equal(await client.health('sluice.v1.InferenceService'), 'SERVING');
});

test('a worker that cannot load the models turns health NOT_SERVING until a pool that can serve takes over', async (t) => {
  const models = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const log = captureLog('info');
  const logger = log.logger;
  const repository = await ModelRepository.load(models);
  const poolOptions = { workers: 1, intraOpThreads: 1, maxImagePixels: 1_000_000, logger };
  const pool = await WorkerPool.start({ ...poolOptions, models: repository.onnxSpecs() });
  const scheduler = new Scheduler(repository, pool, { maxQueueSize: 16, logger });
  const router = new ModelRouter(repository, scheduler);
  const health = new HealthImplementation({ '': 'SERVING', [INFERENCE_SERVICE_NAME]: 'SERVING' });
  const control = new ModelControl({ repository, scheduler, router, health, pool, poolOptions, logger });
  // Health is read the way clients read it: over gRPC.
  const grpc = new Server();
  health.addToServer(grpc);
  const port = await new Promise<number>((resolve, reject) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err === null ? resolve(bound) : reject(err))));
  const client = new SluiceClient(`127.0.0.1:${port}`);
  t.after(async () => {
    client.close();
    grpc.forceShutdown();
    await control.close();
    await control.pool.close();
  });
  const until = async (status: string): Promise<void> => {
    for (let i = 0; i < 600 && (await client.health()) !== status; i++) await sleep(50);
    assert.equal(await client.health(), status);
    assert.equal(await client.health(INFERENCE_SERVICE_NAME), status);
  };

  const onnx = join(models, 'add', 'model.onnx');
  const good = await readFile(onnx);
  await writeFile(onnx, 'not an onnx file');
  // An idle worker may be stopped safely; piscina starts another, which cannot load the file.
  await pool.threads[0]?.terminate();
  await until('NOT_SERVING');
  // The fresh pool model control asks for cannot load the file either: nothing serves yet.
  await log.waitFor('a new worker pool could not start; the current one stays, with the loaded versions');
  assert.equal(await client.health(), 'NOT_SERVING');

  await writeFile(onnx, good);
  await control.load('add');
  await until('SERVING');
  const tensor = (name: string) => ({ name, dtype: DataType.DATA_TYPE_FLOAT32, shape: [1, 4], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) });
  const answer = await scheduler.submit('add', { input: { kind: 'tensors', tensors: [tensor('a'), tensor('b')] }, rows: 1, bytes: 32, owned: undefined }).outcome;
  assert.ok(answer.ok, answer.ok ? '' : answer.error.message);
});
