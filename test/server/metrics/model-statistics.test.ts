import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelStatisticsResponse, type ModelStatistics, type StatisticDuration } from '../../../gen/ts/inference/grpc_service.js';
import { GrpcStatus, isServiceError } from '../../../client/index.js';
import { SluiceError } from '../../../server/errors.js';
import { MODEL_VERSION, ModelStatisticsCollector } from '../../../server/metrics/model-statistics.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { solidPng } from '../../helpers/images.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

const duration = (count: number, us: number): StatisticDuration => ({ count: BigInt(count), ns: BigInt(us) * 1000n });
const ZERO = duration(0, 0);

function only(stats: readonly ModelStatistics[]): ModelStatistics {
  assert.equal(stats.length, 1);
  return stats[0] as ModelStatistics;
}

test('items count once each, with their times in nanoseconds; failures count apart', async () => {
  const statistics = new ModelStatisticsCollector(await ModelRepository.load(MODELS_DIR));
  const before = Date.now();
  statistics.recordSuccess('add', { queueUs: 10, preprocessUs: 20, inferenceUs: 30, postprocessUs: 40, totalUs: 150 });
  statistics.recordSuccess('add', { queueUs: 1, preprocessUs: 2, inferenceUs: 3, postprocessUs: 4, totalUs: 15 });
  statistics.recordFailure('add', { queueUs: 7, preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: 7 });
  statistics.recordFailure('add');
  const after = Date.now();

  const add = only(statistics.snapshot('add'));
  assert.equal(add.name, 'add');
  assert.equal(add.version, MODEL_VERSION);
  assert.equal(add.inferenceCount, 2n);
  assert.equal(add.executionCount, 0n);
  assert.ok(add.lastInference >= BigInt(before) && add.lastInference <= BigInt(after), `lastInference ${add.lastInference}`);
  assert.deepEqual(add.inferenceStats, {
    success: duration(2, 165),
    fail: duration(2, 7),
    queue: duration(2, 11),
    computeInput: duration(2, 22),
    computeInfer: duration(2, 33),
    computeOutput: duration(2, 44),
    cacheHit: ZERO,
    cacheMiss: ZERO,
  });
  assert.deepEqual(add.batchStats, []);
});

test('runs count once each, under the number of items they held, smallest batch first', async () => {
  const statistics = new ModelStatisticsCollector(await ModelRepository.load(MODELS_DIR));
  statistics.recordRun({ model: 'tiny-cnn', items: 4, inferenceUs: 100, preprocessUs: 40, postprocessUs: 8 });
  statistics.recordRun({ model: 'tiny-cnn', items: 1, inferenceUs: 30, preprocessUs: 10, postprocessUs: 2 });
  statistics.recordRun({ model: 'tiny-cnn', items: 4, inferenceUs: 120, preprocessUs: 44, postprocessUs: 9 });

  const cnn = only(statistics.snapshot('tiny-cnn'));
  assert.equal(cnn.executionCount, 3n);
  // Runs alone say nothing of items: those count as they are answered.
  assert.equal(cnn.inferenceCount, 0n);
  assert.deepEqual(cnn.batchStats, [
    { batchSize: 1n, computeInput: duration(1, 10), computeInfer: duration(1, 30), computeOutput: duration(1, 2) },
    { batchSize: 4n, computeInput: duration(2, 84), computeInfer: duration(2, 220), computeOutput: duration(2, 17) },
  ]);
});

test('every model of the repository is listed, with zeros until something is recorded; other names never are', async () => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const statistics = new ModelStatisticsCollector(repository);
  const timings = { queueUs: 1, preprocessUs: 1, inferenceUs: 1, postprocessUs: 1, totalUs: 4 };
  for (const name of ['nope', '', '_unknown', 'ADD', '../add']) {
    statistics.recordSuccess(name, timings);
    statistics.recordFailure(name);
    statistics.recordRun({ model: name, items: 1, inferenceUs: 1, preprocessUs: 1, postprocessUs: 1 });
  }
  statistics.recordSuccess('add', timings);

  const all = statistics.snapshot();
  assert.deepEqual(
    all.map((s) => s.name),
    repository.list().map((m) => m.name),
  );
  assert.deepEqual(statistics.snapshot(''), all);
  for (const stats of all) {
    assert.equal(stats.version, MODEL_VERSION);
    assert.equal(stats.inferenceCount, stats.name === 'add' ? 1n : 0n, stats.name);
    assert.deepEqual(stats.inferenceStats?.fail, ZERO, stats.name);
  }
  const tiny = only(statistics.snapshot('tiny-cnn'));
  assert.deepEqual(tiny, { name: 'tiny-cnn', version: '1', lastInference: 0n, inferenceCount: 0n, executionCount: 0n, inferenceStats: tiny.inferenceStats, batchStats: [] });
  for (const field of Object.values(tiny.inferenceStats ?? {})) assert.deepEqual(field, ZERO);

  for (const name of ['nope', '_unknown', 'ADD']) {
    assert.throws(() => statistics.snapshot(name), (err: unknown) => err instanceof SluiceError && err.code === 'MODEL_NOT_FOUND', name);
  }
  // The answer goes on the wire as it is.
  const wire = ModelStatisticsResponse.decode(ModelStatisticsResponse.encode({ modelStats: all }).finish());
  assert.deepEqual(wire.modelStats, all);
});

test('a model the repository drops is forgotten, and starts again from zero when it is back', async () => {
  const repository = await ModelRepository.load(MODELS_DIR);
  const statistics = new ModelStatisticsCollector(repository);
  statistics.recordSuccess('add', { queueUs: 1, preprocessUs: 1, inferenceUs: 1, postprocessUs: 1, totalUs: 4 });
  const add = repository.require('add');
  repository.delete('add');
  assert.ok(!statistics.snapshot().some((s) => s.name === 'add'));
  assert.throws(() => statistics.snapshot('add'), (err: unknown) => err instanceof SluiceError && err.code === 'MODEL_NOT_FOUND');
  statistics.recordSuccess('add', { queueUs: 1, preprocessUs: 1, inferenceUs: 1, postprocessUs: 1, totalUs: 4 });
  repository.set(add);
  assert.equal(only(statistics.snapshot('add')).inferenceCount, 0n);
});

test('a real server reports the items and runs it served, per model, and labels its metrics by protocol', async (t) => {
  const { server, client } = await startTestServer(t, { metricsPort: 0 });
  const N = 3;
  const M = 12;
  for (let i = 0; i < N; i++) await client.predictOne(addRequest(`${i}`, [1, 2, 3, 4], [1, 1, 1, 1]));
  await assert.rejects(client.predictOne({ ...addRequest('bad', [1, 2, 3, 4], [1, 1, 1, 1]), inputs: [] }), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.INVALID_ARGUMENT);
  await assert.rejects(client.predictOne({ ...addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]), model: 'nope' }), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.NOT_FOUND);
  const colours: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const frames = await Promise.all(Array.from({ length: M }, async (_, i) => imageItem(`${i}`, 'tiny-cnn', await solidPng(32, 32, colours[i % 3] as [number, number, number]))));
  let answered = 0;
  for await (const response of client.predictStream(frames)) {
    assert.equal(response.result?.$case, 'prediction');
    answered++;
  }
  assert.equal(answered, M);

  const cnn = only(server.statistics.snapshot('tiny-cnn'));
  assert.equal(cnn.inferenceCount, BigInt(M));
  assert.equal(cnn.inferenceStats?.success?.count, BigInt(M));
  assert.ok((cnn.inferenceStats?.success?.ns ?? 0n) > 0n);
  assert.deepEqual(cnn.inferenceStats?.fail, ZERO);
  for (const field of ['queue', 'computeInput', 'computeInfer', 'computeOutput'] as const) assert.equal(cnn.inferenceStats?.[field]?.count, BigInt(M), field);
  assert.ok(cnn.executionCount >= 1n && cnn.executionCount <= BigInt(M), `execution_count ${cnn.executionCount}`);
  // Every item ran in exactly one run.
  assert.equal(cnn.batchStats.reduce((sum, b) => sum + b.batchSize * (b.computeInfer?.count ?? 0n), 0n), BigInt(M));
  assert.equal(cnn.batchStats.reduce((sum, b) => sum + (b.computeInfer?.count ?? 0n), 0n), cnn.executionCount);
  assert.ok(cnn.lastInference > 0n && cnn.lastInference <= BigInt(Date.now()));

  const add = only(server.statistics.snapshot('add'));
  assert.equal(add.inferenceCount, BigInt(N));
  assert.equal(add.inferenceStats?.fail?.count, 1n);
  // One call at a time: each ran alone.
  assert.equal(add.executionCount, BigInt(N));
  assert.deepEqual(add.batchStats.map((b) => [b.batchSize, b.computeInfer?.count]), [[1n, BigInt(N)]]);

  const { models } = await client.listModels();
  assert.deepEqual(
    server.statistics.snapshot().map((s) => s.name),
    models.map((m) => m.name).sort((a, b) => a.localeCompare(b)),
  );

  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  const lines = text.split('\n');
  assert.ok(lines.includes(`sluice_items_total{model="tiny-cnn",outcome="success",protocol="sluice"} ${M}`), 'tiny-cnn items by protocol');
  assert.ok(lines.includes(`sluice_items_total{model="add",outcome="invalid",protocol="sluice"} 1`), 'failed items by protocol');
  assert.ok(lines.includes(`sluice_requests_total{rpc="PredictOne",protocol="sluice"} ${N + 2}`), 'calls by protocol');
  assert.ok(lines.includes(`sluice_requests_total{rpc="Predict",protocol="sluice"} 1`), 'streams by protocol');
  for (const line of lines.filter((l) => /^sluice_(items|requests)_total\{/.test(l))) assert.match(line, /,protocol="sluice"\} /, line);
});
