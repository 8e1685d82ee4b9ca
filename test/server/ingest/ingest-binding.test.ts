import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startNatsServer } from '../../helpers/nats-server.js';
import { connectJetStream, publishInput, readResults, waitFor } from '../../helpers/jetstream.js';
import { solidPng } from '../../helpers/images.js';
import { startTestServer } from '../../helpers/test-server.js';

const BINDING = 'name=frames,stream=IN,subject=in.>,model=tiny-cnn,results=out.frames,deadLetter=dead.frames,create';

test('a binding answers every input once, publishes its result before acking it, and leaves nothing unacked', async (t) => {
  const nats = await startNatsServer(t);
  const { server } = await startTestServer(t, { nats: nats.url, bindings: [BINDING] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  const colours: [number, number, number][] = [[250, 10, 10], [10, 250, 10], [10, 10, 250]];
  const images = await Promise.all(colours.map(([r, g, b]) => solidPng(40, 30, [r, g, b])));
  for (let i = 0; i < 30; i++) await publishInput(js, `in.cam${i % 2}`, `frame-${i}`, images[i % 3] as Buffer);
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 30, 20_000, '30 results');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  assert.equal(results.length, 30);
  const labels = ['red', 'green', 'blue'];
  for (const result of results) {
    const i = Number(result.headers['Sluice-Id']?.replace('frame-', ''));
    assert.equal(result.headers['Nats-Msg-Id'], `frame-${i}`);
    assert.equal(result.headers['Sluice-Status'], 'OK');
    assert.equal(result.headers['Sluice-Binding'], 'frames');
    assert.equal(result.response.id, `frame-${i}`);
    assert.equal(result.response.result?.$case, 'prediction');
    const top = result.response.result?.$case === 'prediction' ? result.response.result.value.classes[0]?.label : undefined;
    assert.equal(top, labels[i % 3]);
  }
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_pending, 0);
  assert.equal(consumer.num_ack_pending, 0);
  // A work queue forgets what was acked.
  assert.equal((await jsm.streams.info('IN')).state.messages, 0);
  assert.equal(server.inflightBytes, 0);
});

test('bad inputs are terminated with their error published to the results and the dead-letter subject', async (t) => {
  const nats = await startNatsServer(t);
  await startTestServer(t, { nats: nats.url, bindings: [BINDING] });
  const { js, jsm } = await connectJetStream(t, nats.url);
  await publishInput(js, 'in.a', 'corrupt', new TextEncoder().encode('not an image'));
  await publishInput(js, 'in.a', 'no-model', await solidPng(8, 8, [1, 2, 3]), { 'Content-Type': 'image/png', 'Sluice-Model': 'no-such-model' });
  await publishInput(js, 'in.a', 'wrong-type', new Uint8Array([1, 2, 3]), { 'Content-Type': 'text/plain' });
  await publishInput(js, 'in.a', 'not-a-request', new Uint8Array([0xff, 0xff, 0xff]), { 'Content-Type': 'application/x-protobuf; messageType=sluice.v1.PredictRequest' });
  await publishInput(js, 'in.a', 'empty', new Uint8Array(0), { 'Content-Type': 'image/jpeg' });
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages >= 10, 20_000, '5 results and 5 dead letters');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  const dead = await readResults(js, jsm, 'IN_RESULTS', 'dead.frames');
  const statusOf = new Map(results.map((r) => [r.headers['Sluice-Id'], r.headers['Sluice-Status']]));
  assert.deepEqual(Object.fromEntries(statusOf), {
    corrupt: 'INVALID_ARGUMENT',
    'no-model': 'NOT_FOUND',
    'wrong-type': 'INVALID_ARGUMENT',
    'not-a-request': 'INVALID_ARGUMENT',
    empty: 'INVALID_ARGUMENT',
  });
  assert.deepEqual(dead.map((r) => r.headers['Sluice-Id']).sort(), ['corrupt', 'empty', 'no-model', 'not-a-request', 'wrong-type']);
  for (const r of results) {
    assert.equal(r.response.result?.$case, 'error');
    assert.match(r.response.result?.$case === 'error' ? r.response.result.value.message : '', /\S/);
  }
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_ack_pending, 0);
  assert.equal(consumer.num_redelivered, 0);
});
