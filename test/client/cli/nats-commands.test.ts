import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect, headers } from '@nats-io/transport-node';
import sharp from 'sharp';
import { Prediction, PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { responseRecord } from '../../../client/cli/response-record.js';
import type { PublishSummary } from '../../../client/cli/nats/publish-summary.js';
import { INGEST_CONTENT_TYPES, INGEST_HEADERS } from '../../../server/ingest/ingest-headers.js';
import { solidPng } from '../../helpers/images.js';
import { freePort, startNatsServer } from '../../helpers/nats-server.js';
import { jsonLines, sluice, spawnSluice } from './run-cli.js';

const FRAMES = 20;

/** A result as a binding would publish it. */
function result(id: string, sequence: number, outcome: 'prediction' | 'error'): PredictResponse {
  const answer: PredictResponse['result'] =
    outcome === 'prediction'
      ? { $case: 'prediction', value: Prediction.fromPartial({ classes: [{ index: 2, label: 'cat', score: 0.75 }, { index: 0, label: 'dog', score: 0.25 }] }) }
      : { $case: 'error', value: { code: 3, message: 'not an image' } };
  return {
    id,
    model: 'tiny-cnn',
    sequence,
    result: answer,
    timings: { queueUs: 100, preprocessUs: 200, inferenceUs: 1000, postprocessUs: 50, totalUs: 1500 + sequence },
    batchSize: 1,
  };
}

/** The line `sluice results` should write for `response`. */
function expectedLine(response: PredictResponse): unknown {
  return JSON.parse(JSON.stringify(responseRecord(response, undefined, (response.timings?.totalUs ?? 0) / 1000)));
}

test('sluice publish and sluice results over NATS JetStream', async (t) => {
  const nats = await startNatsServer(t);
  const nc = await connect({ servers: nats.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-nats-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  await t.test('publish: synthetic frames into a work queue it creates, with the binding headers and JPEG bodies', async () => {
    const args = ['publish', 'synthetic:160x96', '--nats', nats.url, '--subject', 'in.cam1', '--stream', 'IN', '--create', '--limit', String(FRAMES), '--fps', 'max', '--model', 'tiny-cnn', '--id-prefix', 'run1', '--json'];
    const first = await sluice(args);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout) as PublishSummary;
    assert.equal(summary.stream, 'IN');
    assert.equal(summary.streamCreated, true);
    assert.equal(summary.messages.published, FRAMES);
    assert.equal(summary.messages.objects, 0);

    const info = await jsm.streams.info('IN');
    assert.equal(info.config.retention, RetentionPolicy.Workqueue);
    assert.deepEqual(info.config.subjects, ['in.cam1']);
    assert.equal(info.state.messages, FRAMES);
    const ids: string[] = [];
    for (let seq = 1; seq <= FRAMES; seq++) {
      const message = await jsm.streams.getMessage('IN', { seq });
      assert.ok(message !== null);
      assert.equal(message.subject, 'in.cam1');
      const id = message.header.get(INGEST_HEADERS.id);
      ids.push(id);
      assert.equal(message.header.get(INGEST_HEADERS.contentType), 'image/jpeg');
      assert.equal(message.header.get(INGEST_HEADERS.msgId), `run1-${id}`);
      assert.equal(message.header.get(INGEST_HEADERS.model), 'tiny-cnn');
      assert.equal(message.header.has(INGEST_HEADERS.object), false);
      const image = await sharp(message.data).metadata();
      assert.deepEqual([image.format, image.width, image.height], ['jpeg', 160, 96]);
    }
    // Stored in the source's order.
    assert.deepEqual(ids, Array.from({ length: FRAMES }, (_, i) => String(i)));

    // The same id prefix again: JetStream de-duplicates every message, nothing is stored twice.
    const again = await sluice(args.filter((arg) => arg !== '--create'));
    assert.equal(again.code, 0, again.stderr);
    const repeat = JSON.parse(again.stdout) as PublishSummary;
    assert.equal(repeat.messages.published, 0);
    assert.equal(repeat.messages.duplicates, FRAMES);
    assert.equal((await jsm.streams.info('IN')).state.messages, FRAMES);
  });

  await t.test('publish: a frame larger than max_payload goes through the object store', async () => {
    const config = join(dir, 'small-payload.conf');
    await writeFile(config, 'max_payload: 65536\n');
    const small = await startNatsServer(t, ['-c', config]);
    const folder = join(dir, 'images');
    await mkdir(folder);
    // Noise does not compress: about 190 kB of PNG, three times the server's max_payload.
    const big = await sharp(randomBytes(256 * 256 * 3), { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    assert.ok(big.length > 65536);
    await writeFile(join(folder, 'a-big.png'), big);
    await writeFile(join(folder, 'b-small.png'), await solidPng(32, 32, [10, 200, 30]));

    const published = await sluice(['publish', folder, '--nats', small.url, '--subject', 'in.files', '--stream', 'FILES', '--create', '--object-store', 'frames-test', '--id-prefix', 'obj', '--json']);
    assert.equal(published.code, 0, published.stderr);
    const summary = JSON.parse(published.stdout) as PublishSummary;
    assert.equal(summary.messages.published, 2);
    assert.equal(summary.messages.objects, 1);

    const sc = await connect({ servers: small.url });
    t.after(() => sc.close());
    const smallJsm = await jetstreamManager(sc);
    const messages = await Promise.all([1, 2].map((seq) => smallJsm.streams.getMessage('FILES', { seq })));
    const byName = new Map(messages.map((m) => [m?.header.get(INGEST_HEADERS.id).split('/').at(-1), m]));
    const bigMessage = byName.get('a-big.png');
    const smallMessage = byName.get('b-small.png');
    assert.ok(bigMessage !== undefined && bigMessage !== null && smallMessage !== undefined && smallMessage !== null);
    assert.equal(bigMessage.data.length, 0);
    assert.equal(bigMessage.header.get(INGEST_HEADERS.contentType), 'image/png');
    const objectName = bigMessage.header.get(INGEST_HEADERS.object);
    assert.equal(objectName, bigMessage.header.get(INGEST_HEADERS.msgId));
    const store = await new Objm(sc).open('frames-test');
    const stored = await store.getBlob(objectName);
    assert.ok(stored !== null, `object ${objectName} is missing`);
    assert.ok(Buffer.from(stored).equals(big));
    assert.equal(smallMessage.header.has(INGEST_HEADERS.object), false);
    assert.equal((await sharp(smallMessage.data).metadata()).format, 'png');
  });

  await t.test('publish to a full stream: --live drops what it refuses; otherwise it waits for room', async () => {
    await jsm.streams.add({ name: 'SMALL', subjects: ['in.small'], retention: RetentionPolicy.Workqueue, max_msgs: 5, discard: DiscardPolicy.New });
    const live = await sluice(['publish', 'synthetic:64x64', '--nats', nats.url, '--subject', 'in.small', '--limit', String(FRAMES), '--fps', 'max', '--live', '--json']);
    assert.equal(live.code, 0, live.stderr);
    const dropped = (JSON.parse(live.stdout) as PublishSummary).messages;
    assert.equal(dropped.published, 5);
    assert.equal(dropped.droppedFull + dropped.droppedAtCap, FRAMES - 5);
    assert.ok(dropped.droppedFull > 0);
    assert.equal((await jsm.streams.info('SMALL')).state.messages, 5);

    // A worker that starts late: the publisher retries until the work queue has room.
    await jsm.consumers.add('SMALL', { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    // Every publish attempt is also seen by plain subscribers of the subject, refused or not.
    const attempts = nc.subscribe('in.small', { max: 1, timeout: 15_000 });
    const publishing = sluice(['publish', 'synthetic:64x64', '--nats', nats.url, '--subject', 'in.small', '--limit', '4', '--fps', 'max', '--json']);
    for await (const attempt of attempts) assert.match(attempt.headers?.get(INGEST_HEADERS.msgId) ?? '', /-0$/);
    const worker = await js.consumers.get('SMALL', 'worker');
    let acked = 0;
    const deadline = performance.now() + 15_000;
    while (acked < 5 + 4 && performance.now() < deadline) {
      const batch = await worker.fetch({ max_messages: 9 - acked, expires: 1000 });
      for await (const message of batch) {
        message.ack();
        acked++;
      }
    }
    assert.equal(acked, 9);
    const waited = await publishing;
    assert.equal(waited.code, 0, waited.stderr);
    const counts = (JSON.parse(waited.stdout) as PublishSummary).messages;
    assert.equal(counts.published, 4);
    assert.equal(counts.droppedFull + counts.droppedAtCap, 0);
    assert.ok(counts.retriedFull > 0);
  });

  const expected: PredictResponse[] = [];
  await t.test('results: JSON and protobuf results read to the end of the stream, then it exits by itself', async () => {
    await jsm.streams.add({ name: 'RESULTS', subjects: ['results.>'] });
    for (let i = 0; i < 6; i++) {
      const response = result(String(i), i, i === 3 ? 'error' : 'prediction');
      const h = headers();
      h.set(INGEST_HEADERS.id, response.id);
      h.set(INGEST_HEADERS.contentType, i % 2 === 0 ? INGEST_CONTENT_TYPES.json : INGEST_CONTENT_TYPES.predictResponse);
      const body = i % 2 === 0 ? JSON.stringify(PredictResponse.toJSON(response)) : PredictResponse.encode(response).finish();
      await js.publish('results.cam1', body, { msgID: `r-${i}`, headers: h });
      expected.push(response);
      // Results of another binding, on a subject the reader does not ask for.
      await js.publish('results.other', JSON.stringify(PredictResponse.toJSON(result(`other-${i}`, i, 'prediction'))));
    }
    const junk = headers();
    junk.set(INGEST_HEADERS.contentType, 'text/plain');
    await js.publish('results.cam1', 'not a result', { headers: junk });

    const out = join(dir, 'results.jsonl');
    const read = await sluice(['results', '--nats', nats.url, '--subject', 'results.cam1', '--output', out]);
    assert.equal(read.code, 0, read.stderr);
    assert.deepEqual(jsonLines(await readFile(out, 'utf8')), expected.map(expectedLine));
    assert.match(read.stdout, /^done: results\.cam1 \(stream RESULTS\) -> tiny-cnn$/m);
    assert.match(read.stdout, /^results +7 read: 5 predicted, 0 dropped by the server, 2 errors \((?:INVALID_ARGUMENT 1, UNDECODABLE 1|UNDECODABLE 1, INVALID_ARGUMENT 1)\)$/m);
    assert.match(read.stdout, /^latency +p50 1\.5 ms/m);
    assert.match(read.stderr, /skipping message \d+ of stream RESULTS: Content-Type "text\/plain" is not a PredictResponse/);

    // To stdout, with a limit: the lines alone on stdout, the summary on stderr.
    const limited = await sluice(['results', '--nats', nats.url, '--subject', 'results.cam1', '--limit', '2']);
    assert.equal(limited.code, 0, limited.stderr);
    assert.deepEqual(jsonLines(limited.stdout), expected.slice(0, 2).map(expectedLine));
    assert.match(limited.stderr, /^results +2 read: 2 predicted/m);

    // Nothing on the subject yet (the stream holds other subjects): done at once.
    const none = await sluice(['results', '--nats', nats.url, '--subject', 'results.none']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^results +0 read: 0 predicted/m);

    // A work queue cannot be read beside its consumers.
    const queue = await sluice(['results', '--nats', nats.url, '--subject', 'in.cam1']);
    assert.equal(queue.code, 1);
    assert.match(queue.stderr, /^sluice: stream IN is a work queue/m);
  });

  await t.test('results --follow: results published later are printed; Ctrl-C stops it with the summary (exit 130)', async () => {
    const first = result('live-0', 0, 'prediction');
    await js.publish('results.live', JSON.stringify(PredictResponse.toJSON(first)), { headers: contentType(INGEST_CONTENT_TYPES.json) });
    const { child, done } = spawnSluice(['results', '--nats', nats.url, '--subject', 'results.live', '--follow']);
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    child.stdout?.on('data', (text: string) => (stdout += text));
    await until(() => jsonLines(stdout).length === 1, 'the first result');
    const second = result('live-1', 1, 'prediction');
    await js.publish('results.live', PredictResponse.encode(second).finish(), { headers: contentType(INGEST_CONTENT_TYPES.predictResponse) });
    await until(() => jsonLines(stdout).length === 2, 'the result published later');
    child.kill('SIGINT');
    const ended = await done;
    assert.equal(ended.code, 130, ended.stderr);
    assert.deepEqual(jsonLines(ended.stdout), [first, second].map(expectedLine));
    assert.match(ended.stderr, /^interrupted: results\.live \(stream RESULTS\) -> tiny-cnn$/m);
    assert.match(ended.stderr, /^results +2 read: 2 predicted/m);
  });

  await t.test('failures: an unreachable NATS server (exit 2, naming it) and a subject no stream captures', async () => {
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const publish = await sluice(['publish', 'synthetic:64x64', '--nats', nowhere, '--subject', 'in.cam1', '--limit', '1']);
    assert.equal(publish.code, 2);
    assert.match(publish.stderr, new RegExp(`^sluice: cannot reach a NATS server at ${nowhere.replaceAll('.', '\\.')} `, 'm'));
    const results = await sluice(['results', '--subject', 'results.cam1'], { SLUICE_NATS: nowhere });
    assert.equal(results.code, 2);
    assert.match(results.stderr, /cannot reach a NATS server at nats:\/\/127\.0\.0\.1:\d+/);

    const unknown = await sluice(['publish', 'synthetic:64x64', '--nats', nats.url, '--subject', 'nobody.listens', '--limit', '1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^sluice: no JetStream stream captures subject nobody\.listens/m);
  });
});

function contentType(value: string): ReturnType<typeof headers> {
  const h = headers();
  h.set(INGEST_HEADERS.contentType, value);
  return h;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
