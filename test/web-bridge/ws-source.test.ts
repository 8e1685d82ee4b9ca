import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PredictResponseJson } from '../../web-bridge/index.js';
import { startBridgeFixture, textFrame } from './bridge-fixture.js';

test('a source of JPEG frames to ocr is answered with detections and their text', async (t) => {
  const { openSocket } = await startBridgeFixture(t);
  const ws = await openSocket();
  ws.sendJson({ type: 'source', model: 'ocr', window: 4 });
  const started = await ws.control('source-started');
  assert.match(started.session, /^browser-[0-9a-f]{8}$/);
  const frames = await Promise.all([0, 1, 2].map((n) => textFrame(n)));
  // One at a time, within the window: none is dropped.
  const responses: PredictResponseJson[] = [];
  for (const frame of frames) {
    ws.sendFrame(frame);
    const item = await ws.next(30_000);
    assert.equal(item.kind, 'result', JSON.stringify(item));
    if (item.kind === 'result') responses.push(item.header.response);
  }
  assert.deepEqual(responses.map((r) => r.id), ['0', '1', '2']);
  for (const response of responses) {
    const prediction = response.prediction;
    assert.ok(prediction !== undefined, JSON.stringify(response));
    assert.equal(prediction.imageWidth, 640);
    assert.equal(prediction.imageHeight, 360);
    assert.ok((prediction.detections?.length ?? 0) >= 2, `expected both text lines in ${JSON.stringify(prediction.detections)}`);
    const texts = (prediction.detections ?? []).map((d) => d.text ?? '').join(' ');
    assert.match(texts, /Sluice/, `recognised text: ${texts}`);
    assert.ok((response.timings?.inferenceUs ?? 0) > 0);
  }
  ws.sendJson({ type: 'stop' });
  const ended = await ws.control('ended', 30_000);
  assert.equal(ended.reason, 'completed');
});

test('a burst of frames on a small window: every frame answered once, in order, stale ones dropped', async (t) => {
  // One worker, so that frames wait behind the one running and can be pushed out.
  const { openSocket } = await startBridgeFixture(t, {}, { workers: 1 });
  const ws = await openSocket();
  ws.sendJson({ type: 'source', model: 'ppocr-det', window: 2 });
  await ws.control('source-started');
  const frame = await textFrame(7);
  const count = 8;
  for (let i = 0; i < count; i++) ws.sendFrame(frame);
  ws.sendJson({ type: 'stop' });
  const items = await ws.collect((item) => item.kind === 'control' && item.message.type === 'ended', 60_000);
  const results = items.flatMap((item) => (item.kind === 'result' ? [item.header] : []));
  assert.deepEqual(
    results.map((r) => r.response.id),
    Array.from({ length: count }, (_, i) => String(i)),
  );
  const dropped = results.filter((r) => r.response.dropped !== undefined).length;
  const predicted = results.filter((r) => r.response.prediction !== undefined).length;
  t.diagnostic(`${predicted} predicted, ${dropped} dropped`);
  assert.equal(dropped + predicted, count);
  assert.ok(dropped > 0, 'a window of 2 cannot hold a burst: the oldest frames are dropped');
  assert.ok(results.at(-1)?.response.prediction !== undefined, 'the freshest frame is never dropped');
  const ended = items.at(-1);
  assert.ok(ended?.kind === 'control' && ended.message.type === 'ended' && ended.message.counters.frames === count);
});

test('frames far faster than the model: the bridge holds at most one, and every frame is answered by the server or dropped', async (t) => {
  const { openSocket } = await startBridgeFixture(t, {}, { workers: 1 });
  const ws = await openSocket();
  ws.sendJson({ type: 'source', model: 'ppocr-det', window: 1 });
  await ws.control('source-started');
  const frame = await textFrame(3);
  // A camera at 200 frames a second into a model that takes tens of milliseconds a frame.
  const count = 60;
  for (let i = 0; i < count; i++) {
    ws.sendFrame(frame);
    await sleep(5);
  }
  ws.sendJson({ type: 'stop' });
  const items = await ws.collect((item) => item.kind === 'control' && item.message.type === 'ended', 60_000);
  const results = items.flatMap((item) => (item.kind === 'result' ? [item.header] : []));
  assert.deepEqual(results.map((r) => r.response.id), Array.from({ length: count }, (_, i) => String(i)), 'one answer per frame, in frame order');
  for (const { counters } of results) {
    assert.ok(counters.framesWaiting <= 1, `the bridge held ${counters.framesWaiting} frames`);
    assert.equal(counters.framesForwarded + counters.framesWaiting + counters.framesDropped, counters.frames, JSON.stringify(counters));
  }
  const ended = items.at(-1);
  assert.ok(ended?.kind === 'control' && ended.message.type === 'ended');
  const counters = ended.message.counters;
  t.diagnostic(JSON.stringify(counters));
  assert.equal(ended.message.reason, 'completed');
  assert.equal(counters.frames, count);
  assert.equal(counters.framesWaiting, 0);
  assert.equal(counters.framesForwarded + counters.framesDropped, count);
  assert.ok(counters.framesDropped > 0, 'the bridge kept only the freshest frame while the model was busy');
  assert.deepEqual([counters.results, counters.resultsDropped], [count, 0]);
  const dropped = results.filter((r) => r.response.dropped !== undefined).length;
  const answered = results.filter((r) => r.response.prediction !== undefined || r.response.error !== undefined).length;
  assert.equal(dropped, counters.framesDropped + counters.framesDroppedByServer);
  assert.equal(answered + counters.framesDroppedByServer, counters.framesForwarded);
  assert.ok(results.at(-1)?.response.prediction !== undefined, 'the freshest frame is never dropped');
});
