import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrpcStatus, isServiceError } from '../../../client/index.js';
import { Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { METRIC_NAMES, ServerMetrics, UNKNOWN_MODEL } from '../../../server/metrics/server-metrics.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { renderText } from '../../helpers/images.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of one sample line, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels === '' ? `${name} ` : `${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('/metrics counts items by model and outcome, and times them', async (t) => {
  const { server, client } = await startTestServer(t, { metricsPort: 0 });
  const port = server.metricsPort;
  assert.ok(port !== undefined && port > 0);
  const before = await scrape(port);
  for (const name of METRIC_NAMES) assert.match(before, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(before, /^process_cpu_seconds_total /m);

  for (let i = 0; i < 3; i++) await client.predictOne(addRequest(`${i}`, [1, 2, 3, 4], [1, 1, 1, 1]));
  await assert.rejects(client.predictOne(imageItem('bad', 'tiny-cnn', Buffer.from('not an image'))), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.INVALID_ARGUMENT);
  await assert.rejects(client.predictOne({ ...addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]), model: 'nope' }), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.NOT_FOUND);
  const streamed = [];
  for await (const r of client.predictStream([addRequest('s', [1, 1, 1, 1], [1, 1, 1, 1]), { ...addRequest('w', [1, 1, 1, 1], [1, 1, 1, 1]), inputs: [] }])) streamed.push(r);
  assert.equal(streamed.length, 2);

  const after = await scrape(port);
  assert.equal(sample(after, 'sluice_items_total', 'model="add",outcome="success",protocol="sluice"'), 4);
  assert.equal(sample(after, 'sluice_items_total', 'model="add",outcome="invalid",protocol="sluice"'), 1);
  assert.equal(sample(after, 'sluice_items_total', 'model="tiny-cnn",outcome="invalid",protocol="sluice"'), 1);
  assert.equal(sample(after, 'sluice_items_total', 'model="_unknown",outcome="not_found",protocol="sluice"'), 1);
  assert.equal(sample(after, 'sluice_requests_total', 'rpc="PredictOne",protocol="sluice"'), 5);
  assert.equal(sample(after, 'sluice_requests_total', 'rpc="Predict",protocol="sluice"'), 1);
  assert.equal(sample(after, 'sluice_inference_duration_seconds_count', 'model="add"'), 4);
  assert.equal(sample(after, 'sluice_batch_size_count', 'model="add"'), 4);
  assert.equal(sample(after, 'sluice_queue_depth', 'model="add"'), 0);
  assert.ok(sample(after, 'sluice_worker_utilization') > 0);

  const missing = await fetch(`http://127.0.0.1:${port}/other`);
  assert.equal(missing.status, 404);
});

test('items withdrawn because their client went away count as cancelled, by model', async (t) => {
  const { server, client } = await startTestServer(t, { metricsPort: 0, workers: 1 });
  const port = server.metricsPort as number;
  const page = await renderText(960, 960, [{ text: 'a slow frame', x: 80, y: 480, size: 90 }]);
  const cancelled = async (): Promise<number> => sample(await scrape(port), 'sluice_items_total', 'model="ppocr-det",outcome="cancelled",protocol="sluice"');

  // A stream whose frames wait behind one slow run, cancelled while they wait.
  const abort = new AbortController();
  const frames = Array.from({ length: 6 }, (_, i) => imageItem(`${i}`, 'ppocr-det', page));
  const streaming = (async () => {
    for await (const _ of client.predictStream(frames, { signal: abort.signal, streamOptions: { maxInFlight: 8 } })) void _;
  })().catch(() => undefined);
  for (let i = 0; i < 400 && server.queuedItems < 3; i++) await sleep(10);
  assert.ok(server.queuedItems >= 3, 'frames are waiting when the stream is cancelled');
  abort.abort();
  await streaming;
  for (let i = 0; i < 400 && server.openStreams > 0; i++) await sleep(10);
  assert.ok((await cancelled()) >= 3, `cancelled: ${await cancelled()}`);

  // A PredictOne whose caller gives up while it waits behind another run.
  const before = await cancelled();
  const busy = client.predictOne(imageItem('busy', 'ppocr-det', page));
  const gaveUp = new AbortController();
  const waiting = client.predictOne(imageItem('waiting', 'ppocr-det', page), { signal: gaveUp.signal }).catch((err: unknown) => err);
  for (let i = 0; i < 400 && server.queuedItems < 1; i++) await sleep(10);
  gaveUp.abort();
  await waiting;
  await busy;
  for (let i = 0; i < 400 && (await cancelled()) === before; i++) await sleep(10);
  assert.equal(await cancelled(), before + 1);
  assert.equal(server.queuedItems, 0);
});

test('a model name the repository does not hold never becomes a label value', async (t) => {
  const { server, client } = await startTestServer(t, { metricsPort: 0 });
  const port = server.metricsPort as number;
  const item = addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]);
  for (const model of ['nope-one', '', 'ADD', 'add/../add']) await client.predictOne({ ...item, model }).catch(() => undefined);
  const streamed = [];
  // The first message names no model; then two unknown ones; then one known.
  for await (const r of client.predictStream([{ ...item, model: '' }, { ...item, model: 'nope-two' }, { ...item, model: 'nope-three' }, item])) streamed.push(r);
  assert.equal(streamed.length, 4);

  const { models } = await client.listModels();
  const known = new Set([...models.map((m) => m.name), UNKNOWN_MODEL]);
  const labels = [...(await scrape(port)).matchAll(/^sluice_\w+\{[^}]*model="([^"]*)"/gm)].map((m) => m[1] as string);
  assert.ok(labels.length > 0);
  for (const label of new Set(labels)) assert.ok(known.has(label), `model="${label}" is a label value`);
  assert.equal(sample(await scrape(port), 'sluice_items_total', `model="${UNKNOWN_MODEL}",outcome="not_found",protocol="sluice"`), 5);
});

test('calls and items are counted apart by the protocol they came in by', async () => {
  const metrics = new ServerMetrics({ queueDepth: () => new Map(), openStreams: () => 0, inFlightItems: () => 0, inFlightBytes: () => 0, workerUtilization: () => 0 }, await ModelRepository.load(MODELS_DIR));
  const timings = { queueUs: 10, preprocessUs: 10, inferenceUs: 10, postprocessUs: 10, totalUs: 40 };
  const answer = { id: '', model: 'add', sequence: 0, result: { $case: 'prediction' as const, value: Prediction.fromPartial({}) }, timings, batchSize: 1 };
  metrics.countRequest('PredictOne');
  metrics.recordResponse(answer);
  metrics.countRequest('ModelInfer', 'kserve');
  metrics.countRequest('ModelInfer', 'kserve');
  for (let i = 0; i < 3; i++) metrics.recordResponse(answer, 'kserve');
  metrics.recordResponse({ ...answer, result: { $case: 'error', value: { code: GrpcStatus.INVALID_ARGUMENT, message: 'bad' } } }, 'kserve');
  metrics.recordCancelled('add', 'kserve');

  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'sluice_requests_total', 'rpc="PredictOne",protocol="sluice"'), 1);
  assert.equal(sample(text, 'sluice_requests_total', 'rpc="ModelInfer",protocol="kserve"'), 2);
  assert.equal(sample(text, 'sluice_items_total', 'model="add",outcome="success",protocol="sluice"'), 1);
  assert.equal(sample(text, 'sluice_items_total', 'model="add",outcome="success",protocol="kserve"'), 3);
  assert.equal(sample(text, 'sluice_items_total', 'model="add",outcome="invalid",protocol="kserve"'), 1);
  assert.equal(sample(text, 'sluice_items_total', 'model="add",outcome="cancelled",protocol="kserve"'), 1);
  // Histograms and the model's statistics do not care which protocol an item came by.
  assert.equal(sample(text, 'sluice_request_duration_seconds_count', 'model="add"'), 4);
  const [add] = metrics.statistics.snapshot('add');
  assert.equal(add?.inferenceCount, 4n);
  assert.equal(add?.inferenceStats?.fail?.count, 2n);
});
