import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createBridge } from '../../../web-bridge/index.js';
import { buildViewer } from '../../../web-bridge/build/build-viewer.js';
import { startTestServer } from '../../helpers/test-server.js';
import { type TestUser, bearer, writeTokenFile } from '../bridge-fixture.js';

const alice: TestUser = { name: 'alice', token: 'alice-token-0123456789', roles: ['infer', 'watch'] };
const ivan: TestUser = { name: 'ivan', token: 'ivan-token-0123456789', roles: ['infer'] };
const wanda: TestUser = { name: 'wanda', token: 'wanda-token-0123456789', roles: ['watch'] };
const adam: TestUser = { name: 'adam', token: 'adam-token-0123456789', roles: ['admin'] };
/** A token with characters a cookie value cannot hold as they are. */
const odd: TestUser = { name: 'odd', token: '@odd;token=with,commas%and"quotes', roles: ['watch'] };

/** A bridge with a token file and a built viewer, in front of a real server. */
async function tokenBridge(t: TestContext): Promise<FastifyInstance> {
  const work = await mkdtemp(join(tmpdir(), 'sluice-access-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const publicDir = await buildViewer({ outdir: join(work, 'public'), minify: false });
  const { address } = await startTestServer(t);
  const tokenFile = await writeTokenFile(t, [alice, ivan, wanda, adam, odd]);
  const app = await createBridge({ server: address, publicDir, tokenFile });
  t.after(() => app.close());
  return app;
}

test('with a token file, the page and the API need a token with the right role; /healthz stays open', async (t) => {
  const app = await tokenBridge(t);
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  const page = await get('/');
  assert.equal(page.statusCode, 401);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /\?token=/, 'the page says how to pass a token');
  assert.match(String(page.headers['www-authenticate']), /^Bearer/);
  assert.equal((await get('/viewer.js')).statusCode, 401, 'assets are behind the same gate');
  assert.equal((await get('/no-such-path')).statusCode, 401, 'unknown paths are closed too');

  const models = await get('/api/models');
  assert.equal(models.statusCode, 401);
  assert.equal(models.json<{ error: { code: string } }>().error.code, 'UNAUTHENTICATED');
  const unknown = await get('/api/models', { authorization: 'Bearer not-a-token-of-this-bridge' });
  assert.equal(unknown.statusCode, 401);
  assert.doesNotMatch(unknown.body, /not-a-token-of-this-bridge/, 'a refusal never echoes the token');

  assert.equal((await get('/healthz')).statusCode, 200);

  // Page and models: infer or watch. Sessions: watch.
  for (const user of [alice, ivan, wanda]) {
    assert.equal((await get('/', bearer(user))).statusCode, 200, user.name);
    assert.equal((await get('/api/models', bearer(user))).statusCode, 200, user.name);
  }
  assert.equal((await get('/api/sessions', bearer(alice))).statusCode, 200);
  assert.equal((await get('/api/sessions', bearer(wanda))).statusCode, 200);
  const noWatch = await get('/api/sessions', bearer(ivan));
  assert.equal(noWatch.statusCode, 403);
  assert.deepEqual(Object.keys(noWatch.json<{ error: object }>().error).sort(), ['code', 'message']);
  assert.equal(noWatch.json<{ error: { code: string } }>().error.code, 'PERMISSION_DENIED');
  const adminPage = await get('/', bearer(adam));
  assert.equal(adminPage.statusCode, 403, 'admin alone does not let one view');
  assert.match(String(adminPage.headers['content-type']), /text\/html/);
  assert.equal((await get('/api/models', bearer(adam))).statusCode, 403);
});

test('?token= on the page is checked, stored in an HttpOnly SameSite=Strict cookie, and taken out of the address', async (t) => {
  const app = await tokenBridge(t);
  const login = await app.inject({ method: 'GET', url: `/?session=demo&token=${encodeURIComponent(odd.token)}` });
  assert.equal(login.statusCode, 302);
  assert.equal(login.headers.location, '/?session=demo', 'the other parameters stay');
  assert.equal(login.headers['cache-control'], 'no-store');
  assert.equal(login.headers['referrer-policy'], 'no-referrer');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, /^sluice_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/, 'no Secure over plain HTTP');
  assert.doesNotMatch(cookie, /[",]/, 'the token is encoded for the cookie');
  const pair = cookie.split(';')[0] as string;

  // The cookie opens the page, the API and (same check) the socket.
  const page = await app.inject({ method: 'GET', url: '/?session=demo', headers: { cookie: `other=1; ${pair}` } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<canvas id="frame-canvas"/);
  assert.equal((await app.inject({ method: 'GET', url: '/api/sessions', headers: { cookie: pair } })).statusCode, 200);
  // The header wins over the cookie: odd may not list sessions as ivan.
  assert.equal((await app.inject({ method: 'GET', url: '/api/sessions', headers: { cookie: pair, ...bearer(ivan) } })).statusCode, 403);

  const bad = await app.inject({ method: 'GET', url: '/?token=wrong-token-0123456789' });
  assert.equal(bad.statusCode, 401);
  assert.equal(bad.headers['set-cookie'], undefined);
  assert.match(bad.body, /token/);
  const noRole = await app.inject({ method: 'GET', url: `/?token=${adam.token}` });
  assert.equal(noRole.statusCode, 403);
  assert.equal(noRole.headers['set-cookie'], undefined);
});

test('without a token file, ?token= is ignored and everything is open as before', async (t) => {
  const { address } = await startTestServer(t);
  const app = await createBridge({ server: address });
  t.after(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/?token=whatever-0123456789' });
  assert.notEqual(page.statusCode, 302);
  assert.equal(page.headers['set-cookie'], undefined);
  assert.equal((await app.inject({ method: 'GET', url: '/api/sessions' })).statusCode, 200);
});
