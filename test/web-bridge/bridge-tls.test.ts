/**
 * TLS on both sides of the bridge, with certificates made for the test: HTTPS and WSS towards
 * browsers, and TLS (mutual, too) with the bridge's own token towards the server.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { test } from 'node:test';
import { createBridge, startBridge } from '../../web-bridge/index.js';
import { createTestCertificates } from '../helpers/test-certificates.js';
import { startTestServer } from '../helpers/test-server.js';
import { type TestUser, bearer, startBridgeFixture, textFrame, writeTokenFile } from './bridge-fixture.js';
import { accepted, refusal } from './ws-upgrade.js';

const alice: TestUser = { name: 'alice', token: 'alice-token-0123456789', roles: ['infer', 'watch'] };
const bridgeUser: TestUser = { name: 'bridge', token: 'bridge-token-0123456789', roles: ['infer', 'watch'] };

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function upstreamStatus(app: { inject(o: { method: 'GET'; url: string }): Promise<{ statusCode: number; json<T>(): T }> }): Promise<number | 'ok'> {
  const response = await app.inject({ method: 'GET', url: '/api/models' });
  if (response.statusCode === 200) return 'ok';
  assert.equal(response.statusCode, 502);
  return response.json<{ error: { grpcCode: number } }>().error.grpcCode;
}

test('with tlsCert and tlsKey the bridge serves HTTPS and WSS, and the token cookie is Secure', async (t) => {
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0, tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tokenFile: await writeTokenFile(t, [alice]) });
  t.after(() => bridge.close());
  assert.match(bridge.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const base = `https://localhost:${bridge.port}`;

  assert.equal((await httpsGet(`${bridge.url}/healthz`, certs.ca.cert)).status, 200);
  await assert.rejects(httpsGet(`${bridge.url}/healthz`, certs.otherCa.cert), /certificate/, 'a client that trusts another CA refuses the bridge');
  const login = await httpsGet(`${base}/?token=${alice.token}`, certs.ca.cert);
  assert.equal(login.status, 302);
  assert.match(String(login.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Secure$/);

  const wss = `wss://localhost:${bridge.port}/ws`;
  const socket = await accepted(t, wss, { ca: certs.ca.cert, origin: base, headers: { cookie: `sluice_token=${alice.token}` } });
  socket.sendJson({ type: 'watch', session: 'nobody-publishes-this' });
  await socket.control('watching');
  // The page's origin is https://: the same host over http:// is another origin.
  assert.equal((await refusal(t, wss, { ca: certs.ca.cert, origin: `http://localhost:${bridge.port}`, headers: bearer(alice) })).status, 403);
});

test('upstream TLS with the server CA and the bridge own token; without either the server is out of reach', async (t) => {
  const certs = await createTestCertificates(t);
  const serverTokens = await writeTokenFile(t, [bridgeUser]);
  const tls = { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tokenFile: serverTokens };
  const fixture = await startBridgeFixture(t, { upstreamTls: { ca: certs.ca.certPath }, upstreamToken: bridgeUser.token }, tls);
  assert.equal(await upstreamStatus(fixture.app), 'ok');
  // A stream through it: the token goes on streaming calls too.
  const ws = await fixture.openSocket();
  ws.sendJson({ type: 'source', model: 'ppocr-det' });
  await ws.control('source-started');
  ws.sendFrame(await textFrame(1));
  const result = await ws.next(30_000);
  assert.ok(result.kind === 'result' && result.header.response.prediction !== undefined, JSON.stringify(result));

  const variants: [string, Parameters<typeof createBridge>[0], number][] = [
    ['no token', { server: fixture.address, upstreamTls: { ca: certs.ca.certPath } }, 16],
    ['a wrong token', { server: fixture.address, upstreamTls: { ca: certs.ca.certPath }, upstreamToken: 'wrong-token-0123456789' }, 16],
    ['another CA', { server: fixture.address, upstreamTls: { ca: certs.otherCa.certPath }, upstreamToken: bridgeUser.token }, 14],
    ['plaintext', { server: fixture.address, upstreamToken: bridgeUser.token }, 14],
  ];
  for (const [what, options, grpcCode] of variants) {
    const app = await createBridge({ ...options, upstreamTimeoutMs: 5000 });
    t.after(() => app.close());
    assert.equal(await upstreamStatus(app), grpcCode, what);
  }
});

test('mutual TLS upstream: the bridge presents its client certificate', async (t) => {
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tlsClientCa: certs.ca.certPath });
  const ca = certs.ca.certPath;
  const withCert = await createBridge({ server: address, upstreamTls: { ca, cert: certs.client.certPath, key: certs.client.keyPath } });
  t.after(() => withCert.close());
  assert.equal(await upstreamStatus(withCert), 'ok');
  for (const upstreamTls of [{ ca }, { ca, cert: certs.otherClient.certPath, key: certs.otherClient.keyPath }]) {
    const app = await createBridge({ server: address, upstreamTls, upstreamTimeoutMs: 5000 });
    t.after(() => app.close());
    assert.equal(await upstreamStatus(app), 14, JSON.stringify(upstreamTls));
  }
});
