import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DropPolicy, GrpcStatus, type PredictRequest, type PredictResponse, isServiceError } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

async function collect(stream: AsyncIterable<PredictResponse>): Promise<PredictResponse[]> {
  const responses: PredictResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

const detectorPage = (): Promise<Buffer> => renderText(960, 960, [{ text: 'a slow frame', x: 80, y: 480, size: 90 }]);

test('a full model queue answers new items with RESOURCE_EXHAUSTED in-band, and the stream goes on', async (t) => {
  const { client } = await startTestServer(t, { workers: 1, maxQueueSize: 2, streamWindow: 64 });
  const page = await detectorPage();
  const requests = Array.from({ length: 12 }, (_, i) => imageItem(`${i}`, 'ppocr-det', page));
  const responses = await collect(client.predictStream([...requests, addRequest('after', [1, 1, 1, 1], [1, 1, 1, 1])]));

  assert.equal(responses.length, 13);
  const codes = responses.slice(0, 12).map((r) => (r.result?.$case === 'error' ? r.result.value.code : r.result?.$case));
  assert.ok(codes.includes(GrpcStatus.RESOURCE_EXHAUSTED), codes.join(','));
  assert.ok(codes.filter((c) => c === 'prediction').length >= 3, codes.join(','));
  const exhausted = responses.find((r) => r.result?.$case === 'error');
  assert.match(exhausted?.result?.$case === 'error' ? exhausted.result.value.message : '', /ppocr-det has 2 items waiting/);
  assert.equal(responses[12]?.result?.$case, 'prediction', 'the stream still serves the next item');
});

test('dynamic batching holds items up to max_queue_delay_us to fill a batch, or less for a preferred size', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add-delayed', from: 'add', yaml: 'dynamic_batching: { max_queue_delay_us: 300000 }' },
    { name: 'add-preferred', from: 'add', yaml: 'dynamic_batching: { max_queue_delay_us: 20000000, preferred_batch_size: [3] }' },
    { name: 'add', from: 'add' },
  ]);
  const { client } = await startTestServer(t, { modelsDir: models });
  const call = async (model: string, i: number) => client.predictOne({ ...addRequest(`${i}`, [i, i, i, i], [0, 0, 0, 0]), model });

  const staggered = async (model: string, n: number): Promise<PredictResponse[]> =>
    Promise.all(Array.from({ length: n }, async (_, i) => {
      await sleep(i * 20);
      return call(model, i);
    }));

  const plain = await staggered('add', 4);
  assert.equal(plain[0]?.batchSize, 1, 'without a delay the first item runs at once, alone');

  const delayed = await staggered('add-delayed', 4);
  assert.deepEqual(delayed.map((r) => r.batchSize), [4, 4, 4, 4]);
  assert.ok((delayed[0]?.timings?.queueUs ?? 0) >= 250_000, `the first item was held: ${delayed[0]?.timings?.queueUs} us`);

  const started = Date.now();
  const preferred = await staggered('add-preferred', 3);
  assert.deepEqual(preferred.map((r) => r.batchSize), [3, 3, 3]);
  assert.ok(Date.now() - started < 5_000, 'a preferred batch size goes without waiting out the delay');
});

test('with DROP_OLDEST a live stream drops stale frames, answers every frame once, and keeps latency bounded', async (t) => {
  const { client } = await startTestServer(t, { workers: 1 });
  const page = await detectorPage();
  const total = 30;
  async function* camera(): AsyncGenerator<PredictRequest> {
    for (let i = 0; i < total; i++) {
      yield imageItem(`${i}`, 'ppocr-det', page);
      await sleep(15);
    }
  }
  const responses = await collect(client.predictStream(camera(), { streamOptions: { dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST, maxInFlight: 2 } }));

  assert.deepEqual(responses.map((r) => r.id), Array.from({ length: total }, (_, i) => `${i}`), 'every frame answered once, in order');
  const kinds = responses.map((r) => r.result?.$case);
  const dropped = kinds.filter((k) => k === 'dropped').length;
  const predicted = responses.filter((r) => r.result?.$case === 'prediction');
  assert.equal(dropped + predicted.length, total, kinds.join(','));
  assert.ok(dropped > total / 2, `the detector is slower than the camera, so most frames drop (${dropped})`);
  assert.equal(kinds.at(-1), 'prediction', 'the freshest frame is served');
  const inference = Math.max(...predicted.map((r) => r.timings?.inferenceUs ?? 0));
  for (const r of predicted) {
    assert.ok((r.timings?.queueUs ?? 0) < 3 * inference + 100_000, `frame ${r.id} waited ${r.timings?.queueUs} us, inference ${inference} us`);
  }
});

test('items that wait past item_timeout_ms are answered DEADLINE_EXCEEDED and never run', async (t) => {
  const { client } = await startTestServer(t, { workers: 1 });
  const page = await detectorPage();
  const requests = Array.from({ length: 6 }, (_, i) => imageItem(`${i}`, 'ppocr-det', page));
  const responses = await collect(client.predictStream(requests, { streamOptions: { itemTimeoutMs: 60, maxInFlight: 6 } }));

  assert.equal(responses[0]?.result?.$case, 'prediction');
  const expired = responses.filter((r) => r.result?.$case === 'error' && r.result.value.code === GrpcStatus.DEADLINE_EXCEEDED);
  assert.ok(expired.length >= 3, responses.map((r) => r.result?.$case).join(','));
  for (const r of expired) {
    assert.equal(r.timings?.inferenceUs, 0, `expired item ${r.id} did not run`);
    assert.ok((r.timings?.queueUs ?? 0) >= 55_000);
  }
});

test('a unary deadline that passes while the item waits gives DEADLINE_EXCEEDED', async (t) => {
  const { client } = await startTestServer(t, { workers: 1 });
  const page = await detectorPage();
  const busy = client.predictStream(Array.from({ length: 4 }, (_, i) => imageItem(`${i}`, 'ppocr-det', page)));
  const draining = collect(busy);
  await sleep(30);
  await assert.rejects(
    client.predictOne(imageItem('late', 'ppocr-det', page), { timeoutMs: 80 }),
    (err: unknown) => isServiceError(err) && err.code === GrpcStatus.DEADLINE_EXCEEDED,
  );
  assert.equal((await draining).length, 4);
  const fine = await client.predictOne(addRequest('fine', [1, 2, 3, 4], [1, 1, 1, 1]), { timeoutMs: 10_000 });
  assert.equal(fine.result?.$case, 'prediction');
});
