import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { SluiceClient, type PredictRequest, isServiceError } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';
import { codeOf } from '../../helpers/code-of.js';

test('while a server drains, new calls of every kind are refused UNAVAILABLE and accepted items are still answered', async (t) => {
  const { server, address } = await startTestServer(t);
  const busy = new SluiceClient(address);
  const other = new SluiceClient(address);
  t.after(() => {
    busy.close();
    other.close();
  });
  assert.equal(await codeOf(other.listModels()), status.OK, 'connected before the drain');
  const page = await renderText(1920, 1080, Array.from({ length: 12 }, (_, i) => ({ text: `line ${i} of text`, x: 40, y: 80 + i * 80, size: 56 })));
  const items = 12;
  async function* frames(): AsyncGenerator<PredictRequest> {
    for (let i = 0; i < items; i++) yield imageItem(String(i), 'ppocr-det', page);
  }
  const answered: string[] = [];
  const streaming = (async () => {
    for await (const response of busy.predictStream(frames(), { streamOptions: { maxInFlight: items } })) answered.push(response.result?.$case ?? '');
  })().catch((err: unknown) => err);
  while (server.queuedItems < 4) await sleep(5);

  const closing = server.close();
  assert.equal(await codeOf(other.loadModel('add')), status.UNAVAILABLE, 'LoadModel');
  assert.equal(await codeOf(other.unloadModel('add')), status.UNAVAILABLE, 'UnloadModel');
  assert.equal(await codeOf(other.predictOne(addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]))), status.UNAVAILABLE, 'PredictOne');
  await assert.rejects(
    (async () => {
      for await (const _ of other.watch('anything')) assert.fail('no watch during a drain');
    })(),
    (err: unknown) => isServiceError(err) && err.code === status.UNAVAILABLE && /shutting down/.test(err.details),
  );
  assert.ok(server.queuedItems > 0 || answered.length < items, 'the refusals came while the drain was still under way');
  assert.equal(await closing, 'drained');
  const ended = await streaming;
  assert.ok(isServiceError(ended) && ended.code === status.UNAVAILABLE, 'the stream ends UNAVAILABLE once answered');
  assert.ok(answered.length >= 4 && answered.every((kind) => kind === 'prediction'), `accepted items answered: ${answered.join(',')}`);
});
