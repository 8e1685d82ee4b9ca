/**
 * What each socket message needs: `watch` for watch, `infer` for source; and how many sources one
 * socket may have starting. Refusals are error messages; the socket stays open and usable.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startBridge } from '../../web-bridge/index.js';
import { startTestServer } from '../helpers/test-server.js';
import { type TestUser, bearer, startBridgeFixture, textFrame, tokenFileText, waitForWatchers, writeTokenFile } from './bridge-fixture.js';
import { accepted } from './ws-upgrade.js';

const ivan: TestUser = { name: 'ivan', token: 'ivan-token-0123456789', roles: ['infer'] };
const wanda: TestUser = { name: 'wanda', token: 'wanda-token-0123456789', roles: ['watch'] };

test('an infer-only token cannot watch and a watch-only token cannot send frames; each socket goes on', async (t) => {
  const tokenFile = await writeTokenFile(t, [ivan, wanda]);
  const { openSocket, app } = await startBridgeFixture(t, { tokenFile });

  const sender = await openSocket(bearer(ivan));
  sender.sendJson({ type: 'watch', session: 'anything' });
  const noWatch = await sender.error('PERMISSION_DENIED');
  assert.match(noWatch.message, /watch role/);
  assert.equal(noWatch.grpcCode, undefined, 'refused by the bridge, not the server');
  sender.sendJson({ type: 'source', model: 'ppocr-det', publish: 'ivan-cam' });
  await sender.control('source-started');
  sender.sendFrame(await textFrame(1));
  assert.equal((await sender.next(30_000)).kind, 'result');

  const watcher = await openSocket(bearer(wanda));
  watcher.sendJson({ type: 'source', model: 'ppocr-det' });
  assert.match((await watcher.error('PERMISSION_DENIED')).message, /infer role/);
  watcher.sendJson({ type: 'watch', session: 'ivan-cam' });
  assert.equal((await watcher.control('watching')).session, 'ivan-cam');
  await waitForWatchers(app, 'ivan-cam', 1, bearer(wanda));
  sender.sendFrame(await textFrame(2));
  const watched = await watcher.next(30_000);
  assert.equal(watched.kind, 'result');
  if (watched.kind === 'result') assert.equal(watched.header.activity, 'watch');
});

test('a source beyond maxSourcesPerSocket starting at once is refused, naming the limit; the first goes on', async (t) => {
  const { openSocket } = await startBridgeFixture(t, { maxSourcesPerSocket: 1 });
  const ws = await openSocket();
  // Both arrive before the first has its model list from the server.
  ws.sendJson({ type: 'source', model: 'ppocr-det', publish: 'first' });
  ws.sendJson({ type: 'source', model: 'ppocr-det', publish: 'second' });
  const refused = await ws.error('TOO_MANY_SOURCES');
  assert.match(refused.message, /maxSourcesPerSocket/);
  assert.match(refused.message, /allows 1\b/);
  assert.equal((await ws.control('source-started')).session, 'first');
  // Once started, a new source replaces it as always.
  ws.sendJson({ type: 'source', model: 'ppocr-det', publish: 'third' });
  const ended = await ws.control('ended');
  assert.deepEqual([ended.session, ended.reason], ['first', 'replaced']);
  assert.equal((await ws.control('source-started')).session, 'third');
});

test('a token taken out of the file stops working on reload, on sockets already open too; an invalid file changes nothing', async (t) => {
  const tokenFile = await writeTokenFile(t, [ivan, wanda]);
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0, tokenFile });
  t.after(() => bridge.close());
  const ws = await accepted(t, `ws://127.0.0.1:${bridge.port}/ws`, { headers: bearer(wanda) });
  ws.sendJson({ type: 'watch', session: 'nobody-publishes-this' });
  await ws.control('watching');
  await ws.error('SESSION_NOT_FOUND');
  await ws.control('ended');

  await writeFile(tokenFile, tokenFileText([ivan]));
  await bridge.reloadTokens();
  ws.sendJson({ type: 'watch', session: 'nobody-publishes-this' });
  assert.match((await ws.error('UNAUTHENTICATED')).message, /not valid/);
  const sessions = await fetch(`${bridge.url}/api/sessions`, { headers: bearer(wanda) });
  assert.equal(sessions.status, 401);

  await writeFile(tokenFile, 'tokens: []\n');
  await assert.rejects(bridge.reloadTokens());
  assert.equal((await fetch(`${bridge.url}/api/models`, { headers: bearer(ivan) })).status, 200, 'the tokens in force stay');
});
