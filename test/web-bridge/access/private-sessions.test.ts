/**
 * Private streams through the bridge, end to end: a real server with tokens, the bridge calling
 * it with its own token, and two users of the bridge.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { SluiceClient, imageRequest } from '../../../client/index.js';
import type { PredictRequest } from '../../../gen/ts/sluice/v1/inference_service.js';
import { type BridgeFixture, type TestUser, bearer, startBridgeFixture, textFrame, waitForWatchers, writeTokenFile } from '../bridge-fixture.js';

/** The bridge's own identity on the server. */
const bridgeUser: TestUser = { name: 'bridge', token: 'bridge-token-0123456789', roles: ['infer', 'watch'] };
/** A client of the server that does not go through the bridge. */
const carol: TestUser = { name: 'carol', token: 'carol-token-0123456789', roles: ['infer', 'watch'] };
/** Users of the bridge. */
const alice: TestUser = { name: 'alice', token: 'alice-token-0123456789', roles: ['infer', 'watch'] };
const bob: TestUser = { name: 'bob', token: 'bob-token-0123456789', roles: ['infer', 'watch'] };

async function securedBridge(t: TestContext): Promise<BridgeFixture> {
  const serverTokens = await writeTokenFile(t, [bridgeUser, carol]);
  const bridgeTokens = await writeTokenFile(t, [alice, bob]);
  return startBridgeFixture(t, { tokenFile: bridgeTokens, upstreamToken: bridgeUser.token }, { tokenFile: serverTokens });
}

interface SessionJson {
  readonly name: string;
  readonly private?: boolean;
}

async function sessionsOf(fixture: BridgeFixture, user: TestUser): Promise<SessionJson[]> {
  const response = await fixture.app.inject({ method: 'GET', url: '/api/sessions', headers: bearer(user) });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<{ sessions: SessionJson[] }>().sessions;
}

test('a private source is listed to, and watchable by, only the bridge user who published it', async (t) => {
  const fixture = await securedBridge(t);
  const frame = await textFrame(1);
  const aliceSource = await fixture.openSocket(bearer(alice));
  aliceSource.sendJson({ type: 'source', model: 'ppocr-det', publish: 'alice-cam', private: true });
  await aliceSource.control('source-started');
  aliceSource.sendFrame(frame);
  assert.equal((await aliceSource.next(30_000)).kind, 'result');
  // A public stream beside it, so that hiding everything would not pass.
  const bobSource = await fixture.openSocket(bearer(bob));
  bobSource.sendJson({ type: 'source', model: 'ppocr-det', publish: 'bob-cam' });
  await bobSource.control('source-started');
  bobSource.sendFrame(frame);
  assert.equal((await bobSource.next(30_000)).kind, 'result');

  const forAlice = await sessionsOf(fixture, alice);
  assert.deepEqual(forAlice.map((s) => [s.name, s.private === true]).sort(), [['alice-cam', true], ['bob-cam', false]]);
  assert.deepEqual((await sessionsOf(fixture, bob)).map((s) => s.name), ['bob-cam']);

  const bobWatch = await fixture.openSocket(bearer(bob));
  bobWatch.sendJson({ type: 'watch', session: 'alice-cam' });
  await bobWatch.control('watching');
  const refused = await bobWatch.error('PERMISSION_DENIED');
  assert.match(refused.message, /private/);
  assert.deepEqual([(await bobWatch.control('ended')).reason], ['failed']);
  // Bob cannot take the name over as a private stream of his own either.
  bobWatch.sendJson({ type: 'source', model: 'ppocr-det', publish: 'alice-cam', private: true });
  await bobWatch.error('PUBLISH_NAME_TAKEN');
  // The socket is still his to use.
  bobWatch.sendJson({ type: 'watch', session: 'bob-cam' });
  await bobWatch.control('watching');

  const aliceWatch = await fixture.openSocket(bearer(alice));
  aliceWatch.sendJson({ type: 'watch', session: 'alice-cam' });
  await aliceWatch.control('watching');
  await waitForWatchers(fixture.app, 'alice-cam', 1, bearer(alice));
  aliceSource.sendFrame(await textFrame(2));
  const watched = await aliceWatch.next(30_000);
  assert.equal(watched.kind, 'result', JSON.stringify(watched));
  if (watched.kind === 'result') assert.deepEqual([watched.header.activity, watched.header.session], ['watch', 'alice-cam']);

  // Once the source ends, nothing of it is left to list.
  aliceSource.sendJson({ type: 'stop' });
  await aliceSource.collect((item) => item.kind === 'control' && item.message.type === 'ended', 30_000);
  for (let i = 0; (await sessionsOf(fixture, alice)).some((s) => s.name === 'alice-cam'); i++) {
    assert.ok(i < 50, 'alice-cam is still listed after its source ended');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

test("a stream private to another of the server's clients is refused by the server, and relayed as PERMISSION_DENIED", async (t) => {
  const fixture = await securedBridge(t);
  const client = new SluiceClient(fixture.address, { token: carol.token });
  t.after(() => client.close());
  const stop = new AbortController();
  t.after(() => stop.abort());
  const frame = await textFrame(3);
  async function* frames(): AsyncGenerator<PredictRequest> {
    yield imageRequest('ppocr-det', frame, '0');
    // Open until the test ends: the stream stays published.
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  }
  const responses = client.predictStream(frames(), { signal: stop.signal, streamOptions: { publish: 'carol-cam', private: true } });
  const first = await responses.next();
  assert.equal(first.done, false);
  // Read on until the end, so that the stream's abort is not an unhandled rejection.
  const drained = (async () => {
    try {
      for await (const _ of responses) void _;
    } catch {
      // aborted when the test ends
    }
  })();
  t.after(() => drained);

  assert.deepEqual(await sessionsOf(fixture, alice), [], 'the server lists it to carol alone');
  const ws = await fixture.openSocket(bearer(alice));
  ws.sendJson({ type: 'watch', session: 'carol-cam' });
  await ws.control('watching');
  const refused = await ws.error('PERMISSION_DENIED');
  assert.equal(refused.grpcCode, 7, 'refused by the server');
  assert.equal((await ws.control('ended')).reason, 'failed');
});

test('without a token file every user is the same, and private hides nothing from the others', async (t) => {
  const fixture = await startBridgeFixture(t);
  const source = await fixture.openSocket();
  source.sendJson({ type: 'source', model: 'ppocr-det', publish: 'shared-cam', private: true });
  await source.control('source-started');
  source.sendFrame(await textFrame(4));
  assert.equal((await source.next(30_000)).kind, 'result');
  const sessions = (await fixture.app.inject({ method: 'GET', url: '/api/sessions' })).json<{ sessions: SessionJson[] }>().sessions;
  assert.deepEqual(sessions.map((s) => [s.name, s.private]), [['shared-cam', true]]);
  const watcher = await fixture.openSocket();
  watcher.sendJson({ type: 'watch', session: 'shared-cam' });
  await watcher.control('watching');
  await waitForWatchers(fixture.app, 'shared-cam', 1);
});
