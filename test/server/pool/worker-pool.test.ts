import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError, createLogger } from '../../../server/index.js';
import { type PoolEvent, WorkerPool } from '../../../server/pool/worker-pool.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import type { InferTask } from '../../../server/worker/task.js';
import { PixelFormat } from '../../../gen/ts/sluice/v1/image.js';
import { DataType } from '../../../gen/ts/sluice/v1/tensor.js';
import { renderText } from '../../helpers/images.js';
import { captureLog } from '../../helpers/log-capture.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { MODELS_DIR } from '../../helpers/test-server.js';

test('onnxruntime sessions load and run in three worker threads at once', async (t) => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const pool = await WorkerPool.start({
    workers: 3,
    intraOpThreads: 1,
    maxImagePixels: 1_000_000,
    models: repository.onnxSpecs(),
    logger: createLogger({ level: 'silent', pretty: false }),
  });
  t.after(() => pool.destroy());
  assert.equal(pool.size, 3);

  const tensor = (name: string, value: number) => {
    const data = new Uint8Array(new Float32Array([value, value, value, value]).buffer);
    return { name, dtype: DataType.DATA_TYPE_FLOAT32, shape: [1, 4], data };
  };
  const results = await Promise.all(
    Array.from({ length: 9 }, (_, i) => pool.run({ model: 'add', items: [{ kind: 'tensors', tensors: [tensor('a', i), tensor('b', 1)] }], returnTensors: [false], cropHeights: [0], thumbnailWidths: [0] }, [])),
  );
  results.forEach((result, i) => {
    const item = result.items[0];
    assert.ok(item?.ok, item?.ok === false ? item.message : 'no result');
    const raw = new Uint8Array(item.prediction.outputs[0]?.rawData ?? []);
    assert.deepEqual([...new Float32Array(raw.buffer)], [i + 1, i + 1, i + 1, i + 1]);
  });
});

test('a worker that cannot load a model fails the pool start with the reason', async () => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const spec = repository.get('add')?.spec;
  assert.ok(spec !== undefined);
  await assert.rejects(
    WorkerPool.start({
      workers: 2,
      intraOpThreads: 1,
      maxImagePixels: 1_000_000,
      models: [{ ...spec, modelPath: '/no/such/model.onnx' }],
      logger: createLogger({ level: 'silent', pretty: false }),
      startTimeoutMs: 30_000,
    }),
    (err: unknown) => err instanceof Error && 'code' in err && err.code === 'INVALID_CONFIG' && /could not load the models/.test(err.message),
  );
});

const logLevel = { level: 'silent', pretty: false } as const;

/** An `add` task: `value` + 1 in every place. */
function addTask(value: number): InferTask {
  const tensor = (name: string, v: number) => ({ name, dtype: DataType.DATA_TYPE_FLOAT32, shape: [1, 4], data: new Uint8Array(new Float32Array([v, v, v, v]).buffer) });
  return { model: 'add', items: [{ kind: 'tensors', tensors: [tensor('a', value), tensor('b', 1)] }], returnTensors: [false], cropHeights: [0], thumbnailWidths: [0] };
}

/**
 * Resolves with the pool's next event of `kind`. Its timer also keeps the test alive meanwhile:
 * idle workers do not hold the event loop open.
 */
function nextEvent(pool: WorkerPool, kind: PoolEvent['kind'], timeoutMs = 60_000): Promise<PoolEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${kind} event within ${timeoutMs} ms`)), timeoutMs);
    pool.onEvent((event) => {
      if (event.kind !== kind) return;
      clearTimeout(timer);
      resolve(event);
    });
  });
}

test('a worker that fails outside any task is logged and replaced, and the process goes on', async (t) => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const log = captureLog();
  const pool = await WorkerPool.start({ workers: 2, intraOpThreads: 1, maxImagePixels: 1_000_000, models: repository.onnxSpecs().filter((s) => s.config.name === 'add'), logger: log.logger });
  t.after(() => pool.close());
  const died = nextEvent(pool, 'worker-died');
  // A message piscina's worker does not expect makes it throw outside any task: an uncaught
  // error in an idle worker, which piscina reports as an 'error' event on the pool.
  pool.threads[0]?.postMessage({});
  assert.equal((await died).serving, true);
  assert.ok(log.withMessage('a worker failed outside any task; a replacement is starting').length === 1);
  await log.waitFor('replacement worker ready');
  const results = await Promise.all(Array.from({ length: 4 }, (_, i) => pool.run(addTask(i), [])));
  assert.ok(results.every((r) => r.items[0]?.ok === true));
  assert.equal(pool.serving, true);
});

test('a replacement worker that cannot load the models makes the pool stop serving, and says so', async (t) => {
  const models = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const repository = await ModelRepository.load(models);
  const log = captureLog();
  const pool = await WorkerPool.start({ workers: 2, intraOpThreads: 1, maxImagePixels: 1_000_000, models: repository.onnxSpecs(), logger: log.logger });
  t.after(() => pool.close());
  await writeFile(join(models, 'add', 'model.onnx'), 'not an onnx file');
  const failed = nextEvent(pool, 'worker-failed');
  // An idle worker may be stopped safely; piscina starts another, which loads the broken file.
  await pool.threads[0]?.terminate();
  assert.equal((await failed).serving, false);
  assert.equal(pool.serving, false);
  const record = await log.waitFor('a replacement worker could not load the models; the pool cannot serve');
  assert.equal(record.level, 50);
});

test('a run past the run timeout fails with INTERNAL, the pool reports it, and close waits for the run', async (t) => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const pool = await WorkerPool.start({
    workers: 2,
    intraOpThreads: 1,
    maxImagePixels: 4_000_000,
    models: repository.onnxSpecs().filter((s) => s.config.name === 'ppocr-det' || s.config.name === 'add'),
    logger: createLogger(logLevel),
    // A detector run on a large page takes hundreds of milliseconds; an add run well under one.
    runTimeoutMs: 50,
  });
  let closed = false;
  t.after(() => (closed ? undefined : pool.close()));
  const page = await renderText(960, 960, [{ text: 'a slow page', x: 80, y: 480, size: 90 }]);
  const timedOut = nextEvent(pool, 'run-timed-out');
  const returned = nextEvent(pool, 'run-returned');
  const image = { data: new Uint8Array(page), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED };
  const slow: InferTask = { model: 'ppocr-det', items: [{ kind: 'image', image }], returnTensors: [false], cropHeights: [0], thumbnailWidths: [0] };
  await assert.rejects(pool.run(slow, []), (err: unknown) => err instanceof SluiceError && err.code === 'INTERNAL');
  // One of two workers is held: the pool still serves, on the other.
  assert.equal((await timedOut).serving, true);
  const served = await pool.run(addTask(1), []);
  assert.equal(served.items[0]?.ok, true);
  await pool.close();
  closed = true;
  assert.equal((await returned).serving, true, 'close waited for the stuck run to come back');
});
