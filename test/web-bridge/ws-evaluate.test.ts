/**
 * `evaluate` on the bridge's socket: a dataset run with tiny-cnn over the generated `colours` set
 * (every path answered once, in order, then `ended` done, with the accuracy `sluice batch` finds),
 * a stop, refusals, the upload form, and the relay holding back while the socket is full.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BatchRecord, batchRecord } from '../../client/cli/batch/batch-record.js';
import { evaluateBatch } from '../../client/cli/batch/batch-evaluation.js';
import { COLOUR_CLASSES, generateColourImage, writeColoursDataset } from '../../eval/datasets/colours-dataset.js';
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ResultHeader } from '../../web-bridge/index.js';
import { DatasetCatalogue } from '../../web-bridge/datasets/dataset-catalogue.js';
import { SluiceUpstream } from '../../web-bridge/upstream/sluice-upstream.js';
import { DatasetFeed } from '../../web-bridge/ws/evaluate-feed.js';
import { EvaluateRelay } from '../../web-bridge/ws/evaluate-relay.js';
import { MODELS_DIR } from '../helpers/test-server.js';
import { sluice } from '../client/cli/run-cli.js';
import { startBridgeFixture } from './bridge-fixture.js';
import type { Incoming, WsProbe } from './ws-probe.js';

const MAX_FRAME_BYTES = 64 * 1024;

function results(items: readonly Incoming[]): ResultHeader[] {
  return items.flatMap((item) => (item.kind === 'result' ? [item.header] : []));
}

const isEnded = (item: Incoming): boolean => item.kind === 'control' && item.message.type === 'ended';

/** Waits `ms` and fails if the bridge sent anything meanwhile. */
async function assertSilent(ws: WsProbe, ms: number): Promise<void> {
  await assert.rejects(ws.next(ms), /no message from the bridge/);
}

test('evaluate over a dataset and over uploads', async (t) => {
  const datasets = await mkdtemp(join(tmpdir(), 'sluice-evaluate-'));
  t.after(() => rm(datasets, { recursive: true, force: true }));
  const coloursDir = join(datasets, 'colours');
  await writeColoursDataset(coloursDir);
  // tiny-cnn, and `add` to be refused as a tensor model: a server that starts in a moment.
  const models = join(datasets, '.models');
  for (const name of ['tiny-cnn', 'add']) await cp(join(MODELS_DIR, name), join(models, name), { recursive: true });
  const { app, address, openSocket } = await startBridgeFixture(t, { datasets, maxFrameBytes: MAX_FRAME_BYTES }, { modelsDir: models });
  const { items } = (await app.inject({ method: 'GET', url: '/api/datasets/colours/items' })).json<{ items: { path: string; label: string }[] }>();
  assert.equal(items.length, 300);
  const paths = items.map((i) => i.path);
  const labelOf = new Map(items.map((i) => [i.path, i.label]));

  await t.test('every path is answered once, in order, then ended done; accuracy as sluice batch finds it', async () => {
    const ws = await openSocket();
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths, window: 8 });
    const started = await ws.control('evaluate-started');
    assert.deepEqual([started.activity, started.model, started.total, started.window], ['evaluate', 'tiny-cnn', 300, 8]);
    const received = await ws.collect(isEnded, 30_000);
    const ended = received.at(-1);
    assert.ok(ended?.kind === 'control' && ended.message.type === 'ended');
    assert.deepEqual([ended.message.activity, ended.message.reason, ended.message.session], ['evaluate', 'done', started.session]);
    assert.equal(ended.message.counters.results, 300);
    assert.equal(ended.message.counters.resultsDropped, 0);
    const headers = results(received);
    assert.equal(received.length, 301, 'results and ended, nothing else');
    assert.deepEqual(headers.map((h) => h.index), paths.map((_, i) => i));
    assert.deepEqual(headers.map((h) => h.path), paths);
    assert.ok(headers.every((h) => h.activity === 'evaluate' && h.session === started.session && h.response.prediction !== undefined && !h.hasImage));

    const records: BatchRecord[] = headers.map((h) => batchRecord(h.path ?? '', PredictResponse.fromJSON(h.response), 0, labelOf.get(h.path ?? ''), undefined));
    const confusion = evaluateBatch(records, [...COLOUR_CLASSES], undefined, 0.5).confusion;
    assert.ok(confusion !== undefined);
    const perClass = COLOUR_CLASSES.map((label, i) => `${label} ${confusion.matrix[i]?.[i]}/${confusion.matrix[i]?.reduce((a, b) => a + b, 0)}`);
    t.diagnostic(`tiny-cnn on colours: accuracy ${confusion.accuracy.toFixed(4)} (${perClass.join(', ')})`);
    assert.ok(confusion.accuracy > 0.8 && confusion.accuracy < 1, `accuracy ${confusion.accuracy}: high, but not every image is easy`);

    const cli = await sluice(['--server', address, 'batch', coloursDir, '--labels', join(coloursDir, 'labels.csv'), '-m', 'tiny-cnn', '--json', '-q']);
    assert.equal(cli.code, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout) as { labelled: number; accuracy: number; confusion: { labels: string[]; matrix: number[][] } };
    assert.equal(summary.labelled, 300);
    assert.equal(summary.accuracy, Math.round(confusion.accuracy * 1e6) / 1e6);
    assert.deepEqual(summary.confusion, { labels: confusion.labels, matrix: confusion.matrix });
  });

  await t.test('stop mid-run: ended stopped, and no result after it', async () => {
    const ws = await openSocket();
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths, window: 1 });
    await ws.control('evaluate-started');
    const first = await ws.next();
    assert.equal(first.kind, 'result');
    ws.sendJson({ type: 'stop' });
    const received = [first, ...(await ws.collect(isEnded))];
    const ended = received.at(-1);
    assert.ok(ended?.kind === 'control' && ended.message.type === 'ended');
    assert.equal(ended.message.reason, 'stopped');
    const indexes = results(received).map((h) => h.index);
    assert.deepEqual(indexes, indexes.map((_, i) => i), 'the results before the stop, in order');
    assert.ok(indexes.length < 300, `${indexes.length} results: the run was not stopped`);
    await assertSilent(ws, 300);
    // The socket goes on: a second stop is a no-op, a new run works.
    ws.sendJson({ type: 'stop' });
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: paths.slice(0, 3) });
    await ws.control('evaluate-started');
    assert.deepEqual(results(await ws.collect(isEnded)).map((h) => h.path), paths.slice(0, 3));
  });

  await t.test('refusals: a path that is not an item, an unknown dataset or model, a bad message', async () => {
    const ws = await openSocket();
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: [paths[0], '../colours/labels.csv'] });
    assert.match((await ws.error('BAD_MESSAGE')).message, /paths\[1\] "\.\.\/colours\/labels\.csv" is not an image of dataset "colours"/);
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: ['labels.csv'] });
    await ws.error('BAD_MESSAGE');
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'nope', paths: ['a.png'] });
    await ws.error('UNKNOWN_DATASET');
    ws.sendJson({ type: 'evaluate', model: 'no-such-model', dataset: 'colours', paths: paths.slice(0, 2) });
    await ws.error('UNKNOWN_MODEL');
    ws.sendJson({ type: 'evaluate', model: 'add', upload: 1 });
    await ws.error('NOT_AN_IMAGE_MODEL');
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: 'img/0001.png' });
    await ws.error('BAD_MESSAGE');
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: [], upload: 2 });
    await ws.error('BAD_MESSAGE');
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', upload: 100_001 });
    await ws.error('BAD_MESSAGE');
    // A refused run starts nothing: no `ended`, and the image the refused upload announced is ignored.
    ws.sendFrame((await generateColourImage(1, 0)).png);
    await assertSilent(ws, 200);
    // A window over the bridge's maxWindow is capped, not refused.
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', dataset: 'colours', paths: paths.slice(0, 2), window: 1000 });
    assert.equal((await ws.control('evaluate-started')).window, 32);
    assert.equal(results(await ws.collect(isEnded)).length, 2);
  });

  await t.test('uploads: images sent at once are taken in order; a bad or oversized one is an error result in its place', async () => {
    const ws = await openSocket();
    const images = await Promise.all([0, 1, 2].map((i) => generateColourImage(7, i)));
    const frames = [images[0]?.png, Buffer.from('not an image'), images[1]?.png, Buffer.alloc(MAX_FRAME_BYTES + 1), images[2]?.png] as Buffer[];
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', upload: frames.length, window: 2 });
    // Before evaluate-started: the bridge holds them until the run starts.
    for (const frame of frames) ws.sendFrame(frame);
    const started = await ws.control('evaluate-started');
    assert.equal(started.total, 5);
    const received = await ws.collect(isEnded);
    const ended = received.at(-1);
    assert.ok(ended?.kind === 'control' && ended.message.type === 'ended');
    assert.equal(ended.message.reason, 'done');
    assert.equal(ended.message.counters.frames, 5);
    const headers = results(received);
    assert.deepEqual(headers.map((h) => h.index), [0, 1, 2, 3, 4]);
    assert.ok(headers.every((h) => h.path === undefined));
    assert.equal(headers[1]?.response.error?.code, 3, 'undecodable: INVALID_ARGUMENT from the server');
    assert.equal(headers[3]?.response.error?.code, 3, 'too large: INVALID_ARGUMENT from the bridge');
    assert.match(headers[3]?.response.error?.message ?? '', /65537 bytes; the bridge forwards at most 65536/);
    for (const [n, i] of [[0, 0], [2, 1], [4, 2]] as const) {
      const energy = images[i]?.energy ?? 0;
      // Easy images get their colour (the set's errors are all at low energy).
      if (energy > 40) assert.equal(headers[n]?.response.prediction?.classes?.[0]?.label, images[i]?.label, `image ${n}`);
      else assert.ok(headers[n]?.response.prediction !== undefined);
    }
    // An image more than announced is not part of the run.
    ws.sendFrame(images[0]?.png as Buffer);
    await ws.error('NO_SOURCE');
  });

  await t.test('an upload stopped before its images came: the images that follow are ignored, not refused', async () => {
    const ws = await openSocket();
    ws.sendJson({ type: 'evaluate', model: 'tiny-cnn', upload: 3 });
    await ws.control('evaluate-started');
    ws.sendFrame((await generateColourImage(3, 0)).png);
    await ws.next();
    ws.sendJson({ type: 'stop' });
    assert.equal((await ws.control('ended')).reason, 'stopped');
    ws.sendFrame((await generateColourImage(3, 1)).png);
    await assertSilent(ws, 200);
  });

  await t.test('while the socket has no room, no image is read and no result is sent; then all come, in order', async (tt) => {
    const dataset = DatasetCatalogue.scan(datasets).get('colours');
    const upstream = new SluiceUpstream(address, { maxMessageBytes: 16 * 1024 * 1024, timeoutMs: 5000 });
    tt.after(() => upstream.close());
    const feed = new DatasetFeed(dataset, paths.slice(0, 40), MAX_FRAME_BYTES);
    let room = true;
    const delivered: number[] = [];
    let ended: ((error: unknown) => void) | undefined;
    const done = new Promise<unknown>((resolve) => (ended = resolve));
    const relay = new EvaluateRelay(upstream, { model: 'tiny-cnn', window: 4 }, feed, {
      hasRoom: () => room,
      onResult: (index) => {
        delivered.push(index);
        // The socket fills up after the fifth result.
        if (delivered.length === 5) room = false;
      },
      onEnd: (error) => ended?.(error),
    });
    tt.after(() => relay.cancel());
    for (let i = 0; i < 200 && delivered.length < 5; i++) await sleep(50);
    await sleep(200);
    assert.equal(delivered.length, 5, 'nothing delivered while the socket is full');
    assert.ok(feed.received <= 5 + 4, `${feed.received} images read while the socket was full: at most a window past the last delivered`);
    assert.ok(relay.counts.forwarded <= 9);
    room = true;
    assert.equal(await done, undefined);
    assert.deepEqual(delivered, Array.from({ length: 40 }, (_, i) => i));
  });
});
