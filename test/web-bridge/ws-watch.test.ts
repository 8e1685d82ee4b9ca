import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { startBridgeFixture, textFrame, waitForWatchers } from './bridge-fixture.js';

test('a watcher sees a published source with display JPEGs, and learns when it ends', async (t) => {
  const { openSocket, app } = await startBridgeFixture(t);
  const source = await openSocket();
  const watcher = await openSocket();
  source.sendJson({ type: 'source', model: 'ppocr-det', window: 4, publish: 'cam-1' });
  await source.control('source-started');
  const frame = await textFrame(1, 1280, 720);
  // The stream is published when its first frame reaches the server.
  source.sendFrame(frame);
  assert.equal((await source.next()).kind, 'result');
  const sessions = (await app.inject({ method: 'GET', url: '/api/sessions' })).json<{ sessions: { name: string; model: string; items: number }[] }>();
  assert.deepEqual(
    sessions.sessions.map((s) => [s.name, s.model, s.items]),
    [['cam-1', 'ppocr-det', 1]],
  );

  watcher.sendJson({ type: 'watch', session: 'cam-1', maxWidth: 320 });
  assert.equal((await watcher.control('watching')).session, 'cam-1');
  await waitForWatchers(app, 'cam-1', 1);
  for (let i = 0; i < 3; i++) {
    source.sendFrame(frame);
    assert.equal((await source.next()).kind, 'result');
  }
  source.sendJson({ type: 'stop' });
  assert.equal((await source.control('ended')).reason, 'completed');

  const items = await watcher.collect((item) => item.kind === 'control' && item.message.type === 'ended');
  const results = items.flatMap((item) => (item.kind === 'result' ? [item] : []));
  assert.ok(results.length >= 1 && results.length <= 3, `${results.length} results watched`);
  for (const { header, image } of results) {
    assert.equal(header.activity, 'watch');
    assert.equal(header.session, 'cam-1');
    assert.equal(header.hasImage, true);
    assert.deepEqual([header.width, header.height], [320, 180]);
    const meta = await sharp(image).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 180]);
    // Coordinates stay in the original frame's pixels.
    assert.equal(header.response.prediction?.imageWidth, 1280);
    assert.ok((header.response.prediction?.detections?.length ?? 0) > 0);
  }
  const ended = items.at(-1);
  assert.ok(ended?.kind === 'control' && ended.message.type === 'ended');
  assert.deepEqual([ended.message.activity, ended.message.reason], ['watch', 'completed']);
});

test('a second source cannot take a published name that is in use', async (t) => {
  const { openSocket } = await startBridgeFixture(t);
  const first = await openSocket();
  const second = await openSocket();
  const frame = await textFrame(2);
  first.sendJson({ type: 'source', model: 'ppocr-det', publish: 'shared-name' });
  await first.control('source-started');
  first.sendFrame(frame);
  assert.equal((await first.next()).kind, 'result');
  second.sendJson({ type: 'source', model: 'ppocr-det', publish: 'shared-name' });
  await second.control('source-started');
  second.sendFrame(frame);
  const refused = await second.error('PUBLISH_NAME_TAKEN');
  assert.equal(refused.grpcCode, 6);
  assert.equal((await second.control('ended')).reason, 'failed');
});

test('closing the bridge closes its sockets with 1001 and cancels their streams', async (t) => {
  const { openSocket, app, client } = await startBridgeFixture(t);
  const source = await openSocket();
  const watcher = await openSocket();
  source.sendJson({ type: 'source', model: 'ppocr-det', publish: 'closing' });
  await source.control('source-started');
  source.sendFrame(await textFrame(3));
  assert.equal((await source.next()).kind, 'result');
  watcher.sendJson({ type: 'watch', session: 'closing' });
  await watcher.control('watching');
  await waitForWatchers(app, 'closing', 1);
  const health = (await app.inject({ method: 'GET', url: '/healthz' })).json<{ openCalls: number }>();
  assert.equal(health.openCalls, 2);

  await app.close();
  for (const probe of [source, watcher]) {
    const closed = await probe.next();
    assert.deepEqual(closed, { kind: 'closed', code: 1001, reason: 'bridge shutting down' });
  }
  // The server saw the Predict stream cancelled: nothing is published any more.
  for (let i = 0; ; i++) {
    const { sessions } = await client.listSessions();
    if (sessions.length === 0) break;
    assert.ok(i < 50, `still published: ${JSON.stringify(sessions)}`);
    await sleep(100);
  }
});
