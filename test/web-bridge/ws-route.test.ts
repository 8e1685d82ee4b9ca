/**
 * The checks on the WebSocket upgrade, over real TCP connections: Origin, token and capacity are
 * refused with an HTTP status before any WebSocket exists.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBridge } from '../../web-bridge/index.js';
import { startTestServer } from '../helpers/test-server.js';
import { type TestUser, bearer, writeTokenFile } from './bridge-fixture.js';
import { accepted, refusal, upgrade } from './ws-upgrade.js';

test("another site's Origin is refused with 403 before the upgrade; the bridge's own, an allowed one, or none pass", async (t) => {
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0, allowedOrigins: ['https://viewer.example'] });
  t.after(() => bridge.close());
  const ws = `ws://127.0.0.1:${bridge.port}/ws`;

  const evil = await refusal(t, ws, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403);
  assert.equal((JSON.parse(evil.body) as { error: { code: string } }).error.code, 'ORIGIN_NOT_ALLOWED');
  for (const origin of [`https://127.0.0.1:${bridge.port}`, `http://127.0.0.1:${bridge.port + 1}`, 'null']) {
    assert.equal((await refusal(t, ws, { origin })).status, 403, origin);
  }

  // The ws client sends Host: 127.0.0.1:port, so this Origin is the bridge's own.
  const own = await accepted(t, ws, { origin: `http://127.0.0.1:${bridge.port}` });
  own.sendJson({ type: 'watch', session: 'nobody-publishes-this' });
  assert.equal((await own.control('watching')).session, 'nobody-publishes-this', 'the socket works');
  await accepted(t, ws, { origin: 'https://viewer.example' });
  await accepted(t, ws);
});

test('with a token file, the upgrade needs a token: 401 without one, 403 without infer or watch', async (t) => {
  const alice: TestUser = { name: 'alice', token: 'alice-token-0123456789', roles: ['watch'] };
  const adam: TestUser = { name: 'adam', token: 'adam-token-0123456789', roles: ['admin'] };
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0, tokenFile: await writeTokenFile(t, [alice, adam]) });
  t.after(() => bridge.close());
  const ws = `ws://127.0.0.1:${bridge.port}/ws`;

  const none = await refusal(t, ws);
  assert.equal(none.status, 401);
  assert.equal((JSON.parse(none.body) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  assert.equal((await refusal(t, ws, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
  const admin = await refusal(t, ws, { headers: bearer(adam) });
  assert.equal(admin.status, 403);
  assert.equal((JSON.parse(admin.body) as { error: { code: string } }).error.code, 'PERMISSION_DENIED');

  await accepted(t, ws, { headers: bearer(alice) });
  // What a browser sends: the cookie and its own Origin.
  await accepted(t, ws, { headers: { cookie: `sluice_token=${alice.token}` }, origin: `http://127.0.0.1:${bridge.port}` });
  // A valid cookie does not make another site's page welcome.
  assert.equal((await refusal(t, ws, { headers: { cookie: `sluice_token=${alice.token}` }, origin: 'http://evil.example' })).status, 403);
});

test('over maxSockets the upgrade is refused with 503 and Retry-After, until a socket closes', async (t) => {
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0, maxSockets: 2 });
  t.after(() => bridge.close());
  const ws = `ws://127.0.0.1:${bridge.port}/ws`;
  const first = await accepted(t, ws);
  await accepted(t, ws);
  const full = await refusal(t, ws);
  assert.equal(full.status, 503);
  assert.equal(full.headers['retry-after'], '5');
  assert.equal((JSON.parse(full.body) as { error: { code: string; message: string } }).error.code, 'TOO_MANY_SOCKETS');

  first.ws.close();
  // The bridge frees the place when the close handshake completes.
  for (let i = 0; ; i++) {
    const next = await upgrade(t, ws);
    if (next.kind === 'open') break;
    assert.equal(next.status, 503);
    assert.ok(i < 50, 'the closed socket never gave its place back');
    await sleep(50);
  }
  assert.equal((await refusal(t, ws)).status, 503, 'and the limit holds again');
});
