import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBridgeFixture, textFrame } from './bridge-fixture.js';

test('protocol errors are answered on the socket, which stays usable', async (t) => {
  const maxFrameBytes = 64 * 1024;
  const { openSocket } = await startBridgeFixture(t, { maxFrameBytes });
  const ws = await openSocket();
  const frame = await textFrame(0);
  assert.ok(frame.byteLength < maxFrameBytes);

  ws.ws.send('{"type": "source", "model": ');
  await ws.error('BAD_JSON');
  ws.sendJson(['source']);
  await ws.error('BAD_JSON');
  ws.sendJson({ type: 'subscribe', session: 'x' });
  await ws.error('UNKNOWN_TYPE');
  ws.sendJson({ model: 'ocr' });
  await ws.error('UNKNOWN_TYPE');
  ws.sendJson({ type: 'source', model: 'ppocr-det', window: 0 });
  assert.match((await ws.error('BAD_MESSAGE')).message, /window/);
  ws.sendJson({ type: 'watch', session: '' });
  await ws.error('BAD_MESSAGE');
  ws.sendFrame(frame);
  await ws.error('NO_SOURCE');
  ws.sendJson({ type: 'source', model: 'no-such-model' });
  assert.match((await ws.error('UNKNOWN_MODEL')).message, /ppocr-det/, 'the message lists the image models');
  ws.sendJson({ type: 'source', model: 'add' });
  await ws.error('NOT_AN_IMAGE_MODEL');
  ws.sendJson({ type: 'watch', session: 'nobody-publishes-this' });
  await ws.control('watching');
  const notFound = await ws.error('SESSION_NOT_FOUND');
  assert.equal(notFound.grpcCode, 5);
  const ended = await ws.control('ended');
  assert.deepEqual([ended.activity, ended.reason], ['watch', 'failed']);

  // After all that, a source still works, and an oversize frame is refused on its own.
  ws.sendJson({ type: 'source', model: 'ppocr-det', window: 2 });
  const started = await ws.control('source-started');
  assert.equal(started.model, 'ppocr-det');
  assert.equal(started.window, 2);
  ws.sendFrame(new Uint8Array(maxFrameBytes + 1));
  const tooLarge = await ws.error('FRAME_TOO_LARGE');
  assert.equal(tooLarge.frame, 0);
  ws.sendFrame(frame);
  const result = await ws.next();
  assert.equal(result.kind, 'result');
  if (result.kind !== 'result') return;
  assert.equal(result.header.activity, 'source');
  assert.equal(result.header.session, started.session);
  assert.equal(result.header.response.id, '1', 'the refused frame used index 0');
  assert.ok((result.header.response.prediction?.detections?.length ?? 0) > 0, `no detections in ${JSON.stringify(result.header.response)}`);
  assert.equal(result.header.hasImage, false);

  // An item the server refuses (not an image) is answered in-band, and the source goes on.
  ws.sendFrame(new TextEncoder().encode('not an image at all'));
  const refused = await ws.next();
  assert.equal(refused.kind, 'result');
  if (refused.kind === 'result') assert.equal(refused.header.response.error?.code, 3);

  ws.sendJson({ type: 'stop' });
  const done = await ws.control('ended');
  assert.deepEqual([done.activity, done.reason], ['source', 'completed']);
  assert.deepEqual(done.counters, { frames: 3, framesForwarded: 2, framesWaiting: 0, framesDropped: 0, framesDroppedByServer: 0, results: 2, resultsDropped: 0 });
  ws.sendFrame(frame);
  await ws.error('NO_SOURCE');
});

test('a message far over the frame limit closes the socket (1009) without reading it', async (t) => {
  const { openSocket } = await startBridgeFixture(t, { maxFrameBytes: 64 * 1024 });
  const ws = await openSocket();
  // Messages up to max(2 x maxFrameBytes, 1 MiB) are read and refused politely; beyond, ws stops.
  ws.sendFrame(new Uint8Array(1024 * 1024 + 1));
  const closed = await ws.next();
  assert.equal(closed.kind, 'closed');
  if (closed.kind === 'closed') assert.equal(closed.code, 1009);
});
