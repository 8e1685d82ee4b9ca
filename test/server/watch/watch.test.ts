import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { InferenceServiceClient, type PredictResponse, type StreamOptions, type WatchResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { renderText, solidPng } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const isJpeg = (b: Uint8Array): boolean => b[0] === 0xff && b[1] === 0xd8;

function stubFor(t: { after: (fn: () => void) => void }, address: string): InferenceServiceClient {
  const stub = new InferenceServiceClient(address, credentials.createInsecure());
  t.after(() => stub.close());
  return stub;
}

function publishOptions(name: string, maxInFlight = 4): StreamOptions {
  return { order: 0, maxInFlight, dropPolicy: 0, itemTimeoutMs: 0, publish: name, private: false };
}

test('a published stream is listed and watched: each answered frame with a small JPEG, until the stream ends', async (t) => {
  const { client, address } = await startTestServer(t);
  const stub = stubFor(t, address);
  const page = await renderText(960, 540, [{ text: 'watch me', x: 100, y: 300, size: 90 }]);

  const producer = stub.predict();
  producer.write({ ...imageItem('0', 'ppocr-det', page), streamOptions: publishOptions('cam') });
  const first = (await once(producer, 'data')) as [PredictResponse];
  assert.equal(first[0].id, '0');

  const sessions = await new Promise<{ name: string; model: string; items: number }[]>((resolve, reject) =>
    stub.listSessions({}, (err, res) => (err ? reject(err) : resolve(res?.sessions ?? []))),
  );
  assert.deepEqual(sessions.map((s) => [s.name, s.model, s.items]), [['cam', 'ppocr-det', 1]]);

  const watch = stub.watch({ session: 'cam', maxWidth: 320 });
  const events: WatchResponse[] = [];
  watch.on('data', (e: WatchResponse) => events.push(e));
  const watchEnded = new Promise<number>((resolve) => {
    watch.on('end', () => resolve(status.OK));
    watch.on('error', (err: ServiceError) => resolve(err.code));
  });
  await sleep(100); // let the watch register before more frames go

  const answered: string[] = [];
  producer.on('data', (r: PredictResponse) => answered.push(r.id));
  for (let i = 1; i <= 5; i++) producer.write(imageItem(`${i}`, 'ppocr-det', page));
  producer.end();
  await once(producer, 'end');
  assert.equal(await watchEnded, status.OK, 'the watch ends with the stream');

  assert.ok(events.length >= 3, `watcher saw ${events.length} of 5 frames`);
  for (const event of events) {
    assert.ok(isJpeg(event.jpeg), 'a JPEG');
    assert.equal(event.width, 320);
    assert.equal(event.height, 180);
    assert.equal(event.response?.result?.$case, 'prediction');
    assert.equal(event.response?.result?.$case === 'prediction' ? event.response.result.value.detections.length : 0, 1);
  }
  assert.deepEqual(events.map((e) => e.response?.id), answered.filter((id) => events.some((e) => e.response?.id === id)));
  const after = await client.listModels();
  assert.ok(after.models.length > 0);
  const remaining = await new Promise<unknown[]>((resolve, reject) => stub.listSessions({}, (err, res) => (err ? reject(err) : resolve(res?.sessions ?? []))));
  assert.equal(remaining.length, 0, 'the ended stream is no longer listed');
});

test('watching an unknown name is NOT_FOUND, and a taken name is refused with ALREADY_EXISTS', async (t) => {
  const { address } = await startTestServer(t);
  const stub = stubFor(t, address);
  const unknown = stub.watch({ session: 'nobody', maxWidth: 0 });
  const [err] = (await once(unknown, 'error')) as [ServiceError];
  assert.equal(err.code, status.NOT_FOUND);
  assert.match(err.details, /no stream is published as "nobody"/);

  const png = await solidPng(32, 32, [255, 0, 0]);
  const owner = stub.predict();
  owner.write({ ...imageItem('a', 'tiny-cnn', png), streamOptions: publishOptions('dup') });
  await once(owner, 'data');
  const second = stub.predict();
  second.write({ ...imageItem('b', 'tiny-cnn', png), streamOptions: publishOptions('dup') });
  const [refused] = (await once(second, 'error')) as [ServiceError];
  assert.equal(refused.code, status.ALREADY_EXISTS);
  owner.end();
  await once(owner, 'end');
});

test('a watcher that never reads does not slow the stream it watches', async (t) => {
  const { address } = await startTestServer(t);
  const stub = stubFor(t, address);
  const png = await renderText(1280, 720, [{ text: 'big frames for a slow watcher', x: 50, y: 360, size: 60 }]);
  const producer = stub.predict();
  producer.write({ ...imageItem('0', 'tiny-cnn', png), streamOptions: publishOptions('busy', 8) });
  await once(producer, 'data');
  const watch = stub.watch({ session: 'busy', maxWidth: 1280 });
  watch.pause(); // never reads
  watch.on('error', () => undefined); // cancelled at the end
  await sleep(100);
  let answered = 1;
  producer.on('data', () => answered++);
  const total = 120;
  for (let i = 1; i < total; i++) if (!producer.write(imageItem(`${i}`, 'tiny-cnn', png))) await once(producer, 'drain');
  producer.end();
  await once(producer, 'end');
  assert.equal(answered, total, 'every frame answered while the watcher sat still');
  watch.cancel();
});
