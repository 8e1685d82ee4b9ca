import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { AckPolicy, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { GrpcStatus, type PredictResponse, isServiceError } from '../../../client/index.js';
import { SluiceError, SluiceServer, createLogger, resolveServerConfig } from '../../../server/index.js';
import { solidPng } from '../../helpers/images.js';
import { connectJetStream, ingestCount, publishInput, readResults, waitFor } from '../../helpers/jetstream.js';
import { freePort, startNatsServer } from '../../helpers/nats-server.js';
import { imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

const BINDING = 'name=frames,stream=IN,subject=in.>,model=tiny-cnn,results=out.frames,create';
const HEALTH = 'sluice.ingest.frames';

/** The value of the series `name{labels}` on a server's `/metrics`, undefined when absent. */
async function metric(metricsPort: number | undefined, name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort ?? 0}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The top class of a prediction (tiny-cnn names the dominant colour). */
function topLabel(response: PredictResponse | undefined): string | undefined {
  return response?.result?.$case === 'prediction' ? response.result.value.classes[0]?.label : undefined;
}

/** Whether a TCP port on loopback can be bound (nothing listens on it). */
async function isFree(port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen(port, '127.0.0.1');
  try {
    await once(probe, 'listening');
  } catch {
    return false;
  }
  probe.close();
  await once(probe, 'close');
  return true;
}

test('losing NATS turns the binding NOT_SERVING while gRPC goes on; once NATS is back it serves and consumes again by itself', { timeout: 60_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const { server, client } = await startTestServer(t, { nats: nats.url, metricsPort: 0, bindings: [BINDING] });
  const connected = (): Promise<number | undefined> => metric(server.metricsPort, 'sluice_ingest_connected', 'binding="frames"');
  const resultCount = async (jsm: JetStreamManager): Promise<number> => (await jsm.streams.info('IN_RESULTS')).state.messages;
  assert.equal(await client.health(HEALTH), 'SERVING');
  assert.equal(await connected(), 1);
  const png = await solidPng(16, 16, [250, 10, 10]);
  const before = await connectJetStream(t, nats.url);
  await publishInput(before.js, 'in.a', 'before', png);
  await waitFor(async () => (await resultCount(before.jsm)) === 1, 20_000, 'the first result');
  await before.nc.close();

  const stoppedAt = Date.now();
  await nats.stop();
  await waitFor(async () => (await client.health(HEALTH)) === 'NOT_SERVING' && (await connected()) === 0, 20_000, 'the binding NOT_SERVING and disconnected');
  const lostAfter = Date.now() - stoppedAt;
  // The rest of the server does not depend on NATS.
  assert.equal(await client.health(''), 'SERVING');
  assert.equal(topLabel(await client.predictOne(imageItem('unary', 'tiny-cnn', png), { timeoutMs: 10_000 })), 'red');
  // Still down a moment later: the status is not a blip.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(await client.health(HEALTH), 'NOT_SERVING');

  const restartedAt = Date.now();
  await nats.restart();
  await waitFor(async () => (await client.health(HEALTH)) === 'SERVING' && (await connected()) === 1, 20_000, 'the binding SERVING again');
  const backAfter = Date.now() - restartedAt;
  const after = await connectJetStream(t, nats.url);
  const ids = ['after-0', 'after-1', 'after-2'];
  for (const id of ids) await publishInput(after.js, 'in.b', id, png);
  await waitFor(async () => (await resultCount(after.jsm)) === 1 + ids.length, 20_000, 'results of inputs published after the restart');
  t.diagnostic(`NOT_SERVING ${lostAfter} ms after the stop; SERVING ${backAfter} ms after the restart; results ${Date.now() - restartedAt} ms after it`);
  const results = await readResults(after.js, after.jsm, 'IN_RESULTS', 'out.frames');
  assert.deepEqual(results.map((r) => r.headers['Sluice-Id']).sort(), ['before', ...ids].sort());
  assert.ok(results.every((r) => r.headers['Sluice-Status'] === 'OK' && topLabel(r.response) === 'red'));
  const consumer = await after.jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_pending, 0);
  assert.equal(consumer.num_ack_pending, 0);
});

/** Starts a server on ports of its own; resolves its start error, having checked that nothing is left of it. */
async function startError(t: TestContext, nats: string, binding: string, natsMonitor?: number): Promise<SluiceError> {
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const config = resolveServerConfig({
    flags: { host: '127.0.0.1', port, modelsDir: MODELS_DIR, workers: 1, intraOpThreads: 1, metricsPort, logLevel: 'silent', nats, bindings: [binding] },
  });
  const outcome = await SluiceServer.start(config, { logger: createLogger({ level: 'silent', pretty: false }) }).then(
    (server) => {
      t.after(() => server.close());
      return undefined;
    },
    (err: unknown) => err,
  );
  assert.ok(outcome instanceof SluiceError, `the start fails with a SluiceError, got ${String(outcome)}`);
  // Neither the gRPC port nor /metrics is left listening.
  assert.ok(await isFree(port), 'the gRPC port is free again');
  assert.ok(await isFree(metricsPort), 'the metrics port is free again');
  if (natsMonitor !== undefined) {
    // Its NATS connection is closed: only the test's own remains.
    await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${natsMonitor}/connz`)).json()) as { num_connections: number }).num_connections === 1, 5000, 'the server\'s NATS connection closed');
  }
  return outcome;
}

test('a start whose binding cannot consume fails with INVALID_CONFIG naming what is missing, and leaves nothing running', { timeout: 60_000 }, async (t) => {
  const monitor = await freePort();
  const nats = await startNatsServer(t, ['-m', String(monitor)]);
  const { jsm } = await connectJetStream(t, nats.url);
  const spec = (extra: string): string => `name=cams,stream=IN,subject=in.>,model=tiny-cnn,results=out.cams,${extra}`;

  let err = await startError(t, nats.url, spec('stream=NOSUCH'), monitor);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /binding cams: the stream NOSUCH does not exist/);

  // Limits retention: a work queue would refuse the overlapping consumers below.
  await jsm.streams.add({ name: 'IN', subjects: ['in.>'], retention: RetentionPolicy.Limits, storage: StorageType.File });
  err = await startError(t, nats.url, spec(''), monitor);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /binding cams: the consumer sluice-cams of the stream IN does not exist/);

  await jsm.consumers.add('IN', { durable_name: 'pushed', deliver_subject: 'deliver.pushed', ack_policy: AckPolicy.Explicit });
  err = await startError(t, nats.url, spec('consumer=pushed'), monitor);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /binding cams: the consumer pushed is a push consumer/);
  // `create` does not turn an existing push consumer into a pull consumer either.
  assert.equal((await startError(t, nats.url, spec('consumer=pushed,create'), monitor)).code, 'INVALID_CONFIG');

  await jsm.consumers.add('IN', { durable_name: 'unacked', ack_policy: AckPolicy.None });
  err = await startError(t, nats.url, spec('consumer=unacked'), monitor);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /binding cams: the consumer unacked must use explicit acks/);

  await jsm.consumers.add('IN', { durable_name: 'pulled', ack_policy: AckPolicy.Explicit });
  err = await startError(t, nats.url, spec('consumer=pulled'), monitor);
  assert.equal(err.code, 'INVALID_CONFIG');
  assert.match(err.message, /binding cams: a stream capturing out\.cams does not exist/);
  // Nothing was created by the failed starts.
  const streams: string[] = [];
  for await (const name of jsm.streams.names()) streams.push(name);
  assert.deepEqual(streams, ['IN']);
  assert.deepEqual((await jsm.consumers.list('IN').next()).map((c) => c.name).sort(), ['pulled', 'pushed', 'unacked']);

  const nowhere = `nats://127.0.0.1:${await freePort()}`;
  err = await startError(t, nowhere, spec('create'));
  assert.equal(err.code, 'UNAVAILABLE');
  assert.ok(err.message.includes(nowhere), err.message);
});

test('a binding with create uses existing resources as they are', { timeout: 30_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const { js, jsm } = await connectJetStream(t, nats.url);
  await jsm.streams.add({ name: 'IN', subjects: ['in.>'], retention: RetentionPolicy.Limits, storage: StorageType.Memory, max_msgs: 1000 });
  await jsm.consumers.add('IN', { durable_name: 'sluice-frames', ack_policy: AckPolicy.Explicit, ack_wait: nanos(7000), max_deliver: 3, filter_subject: 'in.>' });
  await jsm.streams.add({ name: 'RESULTS', subjects: ['out.>'], storage: StorageType.File });
  // The binding would create a consumer with a 30 s ack wait, 5 deliveries, and a work-queue stream.
  await startTestServer(t, { nats: nats.url, bindings: [`${BINDING},ackWaitMs=30000,maxDeliver=5`] });
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.config.ack_wait, nanos(7000));
  assert.equal(consumer.config.max_deliver, 3);
  const stream = await jsm.streams.info('IN');
  assert.equal(stream.config.retention, RetentionPolicy.Limits);
  assert.equal(stream.config.storage, StorageType.Memory);
  assert.equal(stream.config.max_msgs, 1000);
  await publishInput(js, 'in.a', 'existing', await solidPng(16, 16, [10, 10, 250]));
  await waitFor(async () => (await jsm.streams.info('RESULTS')).state.messages === 1, 20_000, 'the result in the existing results stream');
  const [result] = await readResults(js, jsm, 'RESULTS', 'out.frames');
  assert.equal(result?.headers['Sluice-Id'], 'existing');
  assert.equal(topLabel(result?.response), 'blue');
  const streams: string[] = [];
  for await (const name of jsm.streams.names()) streams.push(name);
  assert.deepEqual(streams.sort(), ['IN', 'RESULTS'], 'no IN_RESULTS made beside the stream that captures the results');
  // Limits retention keeps what was acked; the consumer has nothing left.
  assert.equal((await jsm.streams.info('IN')).state.messages, 1);
  assert.equal((await jsm.consumers.info('IN', 'sluice-frames')).num_ack_pending, 0);
});

test('metrics count every input fetched, acked and answered over nats, and the consumer lag follows the backlog', { timeout: 60_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const { js, jsm } = await connectJetStream(t, nats.url);
  // A backlog waiting before the server starts: the binding's consumer is made with all of it pending.
  await jsm.streams.add({ name: 'IN', subjects: ['in.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
  const png = await solidPng(16, 16, [10, 250, 10]);
  const backlog = 200;
  for (let i = 0; i < backlog; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => publishInput(js, 'in.a', `m${i + j}`, png)));
  const { server } = await startTestServer(t, { nats: nats.url, metricsPort: 0, bindings: [`${BINDING},maxInFlight=1`] });
  const startedAt = Date.now();
  const lag = (): Promise<number | undefined> => metric(server.metricsPort, 'sluice_ingest_consumer_lag', 'binding="frames"');
  // The lag is read as the binding starts, then every 5 s.
  let first: number | undefined;
  await waitFor(async () => (first = await lag()) !== undefined, 5000, 'the first lag reading');
  assert.ok((first ?? 0) >= backlog / 2, `the lag read at the start shows the backlog: ${first}`);

  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages === backlog, 30_000, 'every input answered');
  t.diagnostic(`lag ${first} at the start; ${backlog} inputs answered ${Date.now() - startedAt} ms after it`);
  await waitFor(async () => (await lag()) === 0, 12_000, 'the lag back to 0');
  assert.equal(await ingestCount(server.metricsPort, 'frames', 'fetched'), backlog);
  assert.equal(await ingestCount(server.metricsPort, 'frames', 'acked'), backlog);
  for (const event of ['nakd', 'terminated', 'redelivered']) assert.equal(await ingestCount(server.metricsPort, 'frames', event), 0, event);
  assert.equal(await metric(server.metricsPort, 'sluice_items_total', 'model="tiny-cnn",outcome="success",protocol="nats"'), backlog);
  assert.equal(await metric(server.metricsPort, 'sluice_items_total', 'model="tiny-cnn",outcome="success",protocol="sluice"'), undefined);
  assert.equal(await metric(server.metricsPort, 'sluice_ingest_inflight_messages', 'binding="frames"'), 0);
  assert.equal(await metric(server.metricsPort, 'sluice_ingest_connected', 'binding="frames"'), 1);
});

test('with a token file, the binding (set up by the operator, not a caller) still consumes', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ingest-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'tokens.yaml');
  await writeFile(tokenFile, 'tokens:\n  - { name: app, token: app-token-0123456789abcdef, roles: [infer] }\n');
  const nats = await startNatsServer(t);
  const { client } = await startTestServer(t, { nats: nats.url, tokenFile, bindings: [BINDING] });
  const png = await solidPng(16, 16, [250, 10, 10]);
  // Tokens are in force: a caller without one is refused.
  await assert.rejects(client.predictOne(imageItem('no-token', 'tiny-cnn', png)), (err: unknown) => isServiceError(err) && err.code === GrpcStatus.UNAUTHENTICATED);
  const { js, jsm } = await connectJetStream(t, nats.url);
  for (const id of ['t0', 't1']) await publishInput(js, 'in.a', id, png);
  await waitFor(async () => (await jsm.streams.info('IN_RESULTS')).state.messages === 2, 20_000, 'the results');
  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  assert.deepEqual(results.map((r) => [r.headers['Sluice-Id'], r.headers['Sluice-Status']]).sort(), [['t0', 'OK'], ['t1', 'OK']]);
});
