import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../server/index.js';
import { WorkerPool } from '../../../server/pool/worker-pool.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { DataType } from '../../../gen/ts/sluice/v1/tensor.js';
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
