import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Objm } from '@nats-io/obj';
import { PredictRequest } from '../../../gen/ts/sluice/v1/inference_service.js';
import { startNatsServer } from '../../helpers/nats-server.js';
import { connectJetStream, ingestCount, publishInput, readResults, waitFor } from '../../helpers/jetstream.js';
import { solidPng } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const BASE = 'name=frames,stream=IN,subject=in.>,model=tiny-cnn,results=out.frames,deadLetter=dead.frames,create';

/** How many results each input id has. */
function countById(results: readonly { headers: Readonly<Record<string, string>> }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.headers['Sluice-Id'] ?? '', (counts.get(r.headers['Sluice-Id'] ?? '') ?? 0) + 1);
  return counts;
}

test('a full model queue naks inputs with a delay and they come back until answered: none lost, none answered twice', async (t) => {
  const nats = await startNatsServer(t);
  // One waiting item per model: a window of 32 overflows it at once.
  const { server } = await startTestServer(t, { nats: nats.url, maxQueueSize: 1, metricsPort: 0, bindings: [`${BASE},maxInFlight=32,nakDelayMs=50,maxDeliver=1000`] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const png = await solidPng(16, 16, [200, 20, 20]);
  const ids = Array.from({ length: 64 }, (_, i) => `q${i}`);
  for (const id of ids) await publishInput(js, 'in.a', id, png);
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 64, 30_000, '64 results');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  assert.deepEqual([...countById(results).keys()].sort(), [...ids].sort());
  assert.ok(results.every((r) => r.headers['Sluice-Status'] === 'OK'));
  assert.ok((await ingestCount(server.metricsPort, 'frames', 'nakd')) > 0, 'some inputs were refused and nak\'d');
  assert.ok((await ingestCount(server.metricsPort, 'frames', 'redelivered')) > 0);
  assert.equal(await ingestCount(server.metricsPort, 'frames', 'acked'), 64);
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_ack_pending, 0);
  assert.equal(consumer.num_pending, 0);
});

test('on its last allowed delivery a refused input gets its error as the final result and is terminated', async (t) => {
  const nats = await startNatsServer(t);
  const { server } = await startTestServer(t, { nats: nats.url, maxQueueSize: 1, metricsPort: 0, bindings: [`${BASE},maxInFlight=32,maxDeliver=1`] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const png = await solidPng(16, 16, [20, 200, 20]);
  for (let i = 0; i < 40; i++) await publishInput(js, 'in.a', `once${i}`, png);
  await waitFor(async () => (await jsm.consumers.info('IN', 'sluice-frames')).num_ack_pending === 0 && (await jsm.streams.info('IN')).state.messages === 0, 30_000, 'every input settled');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  const counts = countById(results);
  assert.equal(counts.size, 40);
  assert.ok([...counts.values()].every((n) => n === 1));
  const exhausted = results.filter((r) => r.headers['Sluice-Status'] === 'RESOURCE_EXHAUSTED');
  assert.ok(exhausted.length > 0, 'the queue of one refused some');
  const dead = await readResults(js, jsm, 'IN_RESULTS', 'dead.frames');
  assert.deepEqual(dead.map((r) => r.headers['Sluice-Id']).sort(), exhausted.map((r) => r.headers['Sluice-Id']).sort());
  assert.equal(await ingestCount(server.metricsPort, 'frames', 'terminated'), exhausted.length);
});

test('the window bounds the messages taken and not acked, however deep the backlog', async (t) => {
  const nats = await startNatsServer(t);
  await startTestServer(t, { nats: nats.url, bindings: [`${BASE},maxInFlight=4`] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const png = await solidPng(16, 16, [20, 20, 200]);
  for (let i = 0; i < 120; i++) await publishInput(js, 'in.a', `b${i}`, png);
  let most = 0;
  await waitFor(
    async () => {
      const consumer = await jsm.consumers.info('IN', 'sluice-frames');
      most = Math.max(most, consumer.num_ack_pending);
      return consumer.num_pending === 0 && consumer.num_ack_pending === 0;
    },
    60_000,
    'the backlog consumed',
  );
  assert.ok(most >= 1 && most <= 4, `at most 4 unacked at once, saw ${most}`);
  assert.equal(countById(await readResults(js, jsm, 'IN_RESULTS', 'out.frames')).size, 120);
});

test('a graceful stop finishes and acks what it took and leaves the rest in the stream for the next server', async (t) => {
  const nats = await startNatsServer(t);
  const { js, jsm } = await connectJetStream(t, nats.url);
  const first = await startTestServer(t, { nats: nats.url, bindings: [`${BASE},maxInFlight=8`] });
  const png = await solidPng(16, 16, [200, 20, 20]);
  const ids = Array.from({ length: 400 }, (_, i) => `d${i}`);
  for (const id of ids) await publishInput(js, 'in.a', id, png);
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 20, 20_000, 'some results');
  assert.equal(await first.server.close(), 'drained');
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_ack_pending, 0, 'nothing taken is left unacked');
  const answered = (await jsm.streams.info('IN_RESULTS')).state.messages;
  const left = (await jsm.streams.info('IN')).state.messages;
  assert.ok(left > 0, 'the stop came before the backlog was done');
  assert.equal(answered + left, ids.length, 'every input is either answered or still in the stream');
  await startTestServer(t, { nats: nats.url, bindings: [BASE] });
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= ids.length, 30_000, 'the rest answered by the next server');
  const counts = countById(await readResults(js, jsm, 'IN_RESULTS', 'out.frames'));
  assert.deepEqual([...counts.keys()].sort(), [...ids].sort());
});

test('large frames come through the object store; requests as protobuf; results as protobuf; watchers see the binding', async (t) => {
  const nats = await startNatsServer(t);
  const { server, client } = await startTestServer(t, { nats: nats.url, bindings: [`${BASE},format=protobuf`] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const watched = (async () => {
    for await (const event of client.watch('frames', { maxWidth: 64 })) if (event.response?.result?.$case === 'prediction') return event;
    return undefined;
  })();
  await waitFor(async () => (await client.listSessions()).sessions.some((s) => s.name === 'frames' && s.watchers === 1), 5000, 'the watcher');
  const store = await new Objm(js).create('sluice-frames');
  await store.putBlob({ name: 'big-frame' }, await solidPng(800, 600, [20, 200, 20]));
  await publishInput(js, 'in.a', 'from-store', new Uint8Array(0), { 'Content-Type': 'image/png', 'Sluice-Object': 'big-frame' });
  await publishInput(js, 'in.a', 'missing-object', new Uint8Array(0), { 'Content-Type': 'image/png', 'Sluice-Object': 'no-such-object' });
  const request = PredictRequest.encode(imageItem('', '', await solidPng(16, 16, [20, 20, 200]))).finish();
  await publishInput(js, 'in.a', 'as-request', request, { 'Content-Type': 'application/x-protobuf; messageType=sluice.v1.PredictRequest' });
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 4, 20_000, 'the results');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  const byId = new Map(results.map((r) => [r.headers['Sluice-Id'], r]));
  assert.equal(byId.get('from-store')?.headers['Content-Type'], 'application/x-protobuf; messageType=sluice.v1.PredictResponse');
  const top = (id: string): string | undefined => {
    const result = byId.get(id)?.response.result;
    return result?.$case === 'prediction' ? result.value.classes[0]?.label : undefined;
  };
  assert.equal(top('from-store'), 'green');
  const stored = byId.get('from-store')?.response.result;
  assert.equal(stored?.$case === 'prediction' ? stored.value.imageWidth : 0, 800);
  assert.equal(top('as-request'), 'blue');
  assert.equal(byId.get('as-request')?.response.id, 'as-request', 'the header fills in the request\'s empty id');
  assert.equal(byId.get('missing-object')?.headers['Sluice-Status'], 'INVALID_ARGUMENT');
  // The object of a settled input is deleted.
  await waitFor(async () => (await store.info('big-frame'))?.deleted !== false, 5000, 'the object deleted');
  const event = await watched;
  assert.equal(event?.response?.model, 'tiny-cnn');
  assert.ok((event?.jpeg.byteLength ?? 0) > 0, 'watchers get the display image');
  assert.equal(server.inflightBytes, 0);
});

test('inputs held longer than the ack wait are kept with working() and never delivered twice', async (t) => {
  const nats = await startNatsServer(t);
  // One worker on the text detector at 960x960 (a few hundred ms a run): the last of 12 inputs
  // is held for seconds, several times the 1 s ack wait.
  const { server } = await startTestServer(t, { nats: nats.url, workers: 1, metricsPort: 0, bindings: [`${BASE},model=ppocr-det,maxInFlight=12,ackWaitMs=1000`] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const png = await solidPng(960, 960, [240, 240, 240]);
  const started = Date.now();
  for (let i = 0; i < 12; i++) await publishInput(js, 'in.a', `slow${i}`, png);
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 12, 60_000, '12 results');
  const heldMs = Date.now() - started;
  t.diagnostic(`12 inputs answered in ${heldMs} ms against an ack wait of 1000 ms`);
  assert.ok(heldMs > 2000, `the inputs were held well past the ack wait (${heldMs} ms)`);
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_ack_pending, 0);
  assert.equal(consumer.num_redelivered, 0);
  assert.equal(await ingestCount(server.metricsPort, 'frames', 'redelivered'), 0);
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  assert.equal(results.length, 12);
  assert.ok(results.every((r) => r.headers['Sluice-Status'] === 'OK' && r.headers['Sluice-Deliveries'] === '1'));
});
