/**
 * The README's NATS walk-through, end to end and as a user types it: a real nats-server, `sluice
 * serve --nats --bind` in a child process, frames published with `sluice publish` and the results
 * read back with `sluice results`, each a CLI child process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import sharp from 'sharp';
import { INGEST_HEADERS } from '../../../server/ingest/ingest-headers.js';
import { connectJetStream, waitFor } from '../../helpers/jetstream.js';
import { startNatsServer } from '../../helpers/nats-server.js';
import { startServerProcess } from '../../helpers/server-process.js';
import { type CliResult, jsonLines, spawnSluice } from './run-cli.js';

/** The README's binding, verbatim. */
const BIND = 'name=frames,stream=FRAMES,subject=frames.>,model=tiny-cnn,results=results.frames,create';
const SOURCE = 'synthetic:320x240@30';
const FRAMES = 50;
const LABELS = ['red', 'green', 'blue'];
/** The server's default object store bucket, which `sluice publish` also uses by default. */
const BUCKET = 'sluice-frames';
const MAX_PAYLOAD = 65_536;

/** A line of `sluice results`. */
interface ResultLine {
  readonly id: string;
  readonly model: string;
  readonly prediction?: { readonly classes: readonly { readonly label: string; readonly score: number }[]; readonly imageWidth: number; readonly imageHeight: number };
  readonly error?: { readonly code: number; readonly message: string };
}

/** Runs `sluice ...args`, which must exit by itself within `timeoutMs` (it is killed otherwise, and its code is null). */
async function sluiceWithin(args: readonly string[], timeoutMs = 20_000): Promise<CliResult> {
  const { child, done } = spawnSluice(args);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** Collects the headers (and body sizes) of every message published on `subject`, as any plain subscriber sees them. */
async function watchPublished(nc: NatsConnection, subject: string): Promise<{ headers: Map<string, string>[]; sizes: number[] }> {
  const seen = { headers: [] as Map<string, string>[], sizes: [] as number[] };
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err !== null) return;
      seen.headers.push(new Map([...(msg.headers?.keys() ?? [])].map((key) => [key, msg.headers?.get(key) ?? ''])));
      seen.sizes.push(msg.data.length);
    },
  });
  await nc.flush();
  return seen;
}

async function storedMessages(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

test('the README walk-through: serve with a binding, publish frames, read the results', { timeout: 90_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-nats-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const smallConfig = join(dir, 'small-payload.conf');
  await writeFile(smallConfig, `max_payload: ${MAX_PAYLOAD}\n`);

  // Two servers started together: the README's, and one whose NATS takes small messages only.
  const [nats, smallNats] = await Promise.all([startNatsServer(t), startNatsServer(t, ['-c', smallConfig])]);
  const [server, smallServer] = await Promise.all([
    startServerProcess(t, ['--nats', nats.url, '--bind', BIND]),
    startServerProcess(t, ['--nats', smallNats.url, '--bind', BIND]),
  ]);
  const { nc, jsm } = await connectJetStream(t, nats.url);
  const small = await connectJetStream(t, smallNats.url);

  const published = await watchPublished(nc, 'frames.>');
  let publishedIds: string[] = [];

  await t.test('sluice publish: 50 synthetic frames into the stream the binding made', async () => {
    const run = await sluiceWithin(['publish', SOURCE, '--nats', nats.url, '--subject', 'frames.cam1', '-n', String(FRAMES)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^done: synthetic 320x240 at 30 fps -> frames\.cam1 \(stream FRAMES\)$/m);
    assert.match(run.stdout, new RegExp(`^messages +${FRAMES} published, .*; 0 dropped`, 'm'));
    await waitFor(() => published.headers.length >= FRAMES, 5000, 'the published frames on frames.>');
    publishedIds = published.headers.map((h) => h.get(INGEST_HEADERS.id) ?? '');
    assert.equal(new Set(publishedIds).size, FRAMES, `frame ids: ${publishedIds.join(' ')}`);
    assert.ok(published.headers.every((h) => h.get(INGEST_HEADERS.contentType) === 'image/jpeg' && !h.has(INGEST_HEADERS.model)));
  });

  await t.test('sluice results: one prediction of tiny-cnn per frame, then it exits by itself', async () => {
    await waitFor(async () => (await storedMessages(jsm, 'FRAMES_RESULTS')) >= FRAMES, 20_000, `${FRAMES} results in FRAMES_RESULTS`);
    const out = join(dir, 'results.jsonl');
    const run = await sluiceWithin(['results', '--nats', nats.url, '--subject', 'results.frames', '-o', out]);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines<ResultLine>(await readFile(out, 'utf8'));
    assert.equal(lines.length, FRAMES);
    assert.deepEqual(lines.map((line) => line.id).sort(), [...publishedIds].sort());
    for (const line of lines) {
      assert.equal(line.model, 'tiny-cnn');
      assert.equal(line.error, undefined, `frame ${line.id}: ${JSON.stringify(line.error)}`);
      const top = line.prediction?.classes[0];
      assert.ok(top !== undefined && LABELS.includes(top.label), `frame ${line.id}: ${JSON.stringify(line.prediction)}`);
      assert.deepEqual([line.prediction?.imageWidth, line.prediction?.imageHeight], [320, 240]);
    }
    // The lines went to the file, so the summary is on stdout.
    assert.match(run.stdout, /^done: results\.frames \(stream FRAMES_RESULTS\) -> tiny-cnn$/m);
    assert.match(run.stdout, new RegExp(`^results +${FRAMES} read: ${FRAMES} predicted, 0 dropped by the server, 0 errors$`, 'm'));
    // Its reader, an ordered consumer, is gone with it rather than left for the server to expire.
    assert.equal((await jsm.streams.info('FRAMES_RESULTS')).state.consumer_count, 0);
  });

  await t.test('publishing the same frames again: their results are stored too', async () => {
    const before = await storedMessages(jsm, 'FRAMES_RESULTS');
    const run = await sluiceWithin(['publish', SOURCE, '--nats', nats.url, '--subject', 'frames.cam1', '-n', '5', '--fps', 'max']);
    assert.equal(run.code, 0, run.stderr);
    // Results are published before their input is acked: once all are acked, every result is in.
    await waitFor(async () => {
      const consumer = await jsm.consumers.info('FRAMES', 'sluice-frames');
      return consumer.num_pending === 0 && consumer.num_ack_pending === 0;
    }, 20_000, 'the binding to settle the frames');
    assert.equal(await storedMessages(jsm, 'FRAMES_RESULTS'), before + 5);
  });

  await t.test('a frame larger than max_payload goes through the object store, which is emptied once it is answered', async () => {
    const folder = join(dir, 'images');
    await mkdir(folder);
    // Noise does not compress: about 190 kB of PNG, three times the server's max_payload.
    const big = await sharp(randomBytes(256 * 256 * 3), { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    assert.ok(big.length > MAX_PAYLOAD);
    await writeFile(join(folder, 'noise.png'), big);
    const seen = await watchPublished(small.nc, 'frames.>');

    const run = await sluiceWithin(['publish', folder, '--nats', smallNats.url, '--subject', 'frames.files']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^messages +1 published, .*\\(1 through the object store ${BUCKET}\\)`, 'm'));
    await waitFor(() => seen.headers.length >= 1, 5000, 'the published frame');
    const object = seen.headers[0]?.get(INGEST_HEADERS.object) ?? '';
    assert.notEqual(object, '');
    assert.equal(seen.sizes[0], 0);

    await waitFor(async () => (await storedMessages(small.jsm, 'FRAMES_RESULTS')) >= 1, 20_000, 'the result of the large frame');
    const out = join(dir, 'large.jsonl');
    const read = await sluiceWithin(['results', '--nats', smallNats.url, '--subject', 'results.frames', '-o', out]);
    assert.equal(read.code, 0, read.stderr);
    const [line, ...rest] = jsonLines<ResultLine>(await readFile(out, 'utf8'));
    assert.equal(rest.length, 0);
    assert.equal(line?.id, join(folder, 'noise.png'));
    assert.equal(line.error, undefined, JSON.stringify(line.error));
    // The message was empty: the server read the image from the object store.
    assert.deepEqual([line.prediction?.imageWidth, line.prediction?.imageHeight], [256, 256]);
    assert.ok(LABELS.includes(line.prediction?.classes[0]?.label ?? ''));

    // The object is deleted after the input is acked, which follows its result.
    const store = await new Objm(small.nc).open(BUCKET);
    await waitFor(async () => {
      const info = await store.info(object);
      return info === null || info.deleted;
    }, 10_000, `object ${object} to be deleted`);
    assert.deepEqual(await store.list(), []);
  });

  await t.test('--model naming a model that does not exist: every frame is answered NOT_FOUND', async () => {
    const run = await sluiceWithin(['publish', SOURCE, '--nats', smallNats.url, '--subject', 'frames.cam1', '-n', String(FRAMES), '--model', 'no-such-model']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^messages +${FRAMES} published,`, 'm'));
    // After the large frame's result: on this server, the ids 0 to 49 are new to the results stream.
    await waitFor(async () => (await storedMessages(small.jsm, 'FRAMES_RESULTS')) >= 1 + FRAMES, 20_000, `${FRAMES} more results`);
    const out = join(dir, 'missing.jsonl');
    const read = await sluiceWithin(['results', '--nats', smallNats.url, '--subject', 'results.frames', '-o', out]);
    assert.equal(read.code, 0, read.stderr);
    const errors = jsonLines<ResultLine>(await readFile(out, 'utf8')).filter((line) => line.model === 'no-such-model');
    assert.deepEqual(errors.map((line) => line.id).sort(), Array.from({ length: FRAMES }, (_, i) => String(i)).sort());
    for (const line of errors) {
      assert.equal(line.prediction, undefined);
      assert.equal(line.error?.code, status.NOT_FOUND, `frame ${line.id}: ${JSON.stringify(line.error)}`);
    }
    assert.match(read.stdout, /^done: results\.frames \(stream FRAMES_RESULTS\) -> no-such-model, tiny-cnn$/m);
    assert.match(read.stdout, new RegExp(`^results +${FRAMES + 1} read: 1 predicted, 0 dropped by the server, ${FRAMES} errors \\(NOT_FOUND ${FRAMES}\\)$`, 'm'));
  });

  await t.test('SIGTERM: the servers drain, exit 0 and leave nothing unacknowledged', async () => {
    server.child.kill('SIGTERM');
    smallServer.child.kill('SIGTERM');
    assert.deepEqual(await Promise.all([server.exited, smallServer.exited]), [0, 0]);
    for (const client of [jsm, small.jsm]) {
      const consumer = await client.consumers.info('FRAMES', 'sluice-frames');
      assert.equal(consumer.num_ack_pending, 0);
      assert.equal(consumer.num_pending, 0);
      // A work queue forgets what was acked or terminated.
      assert.equal(await storedMessages(client, 'FRAMES'), 0);
    }
  });
});
