import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PredictRequest } from '../../client/index.js';
import { addRequest } from '../helpers/requests.js';
import { startTestServer } from '../helpers/test-server.js';

async function* endless(): AsyncGenerator<PredictRequest> {
  for (let i = 0; ; i++) {
    yield addRequest(`${i}`, [i, 0, 0, 0], [0, 0, 0, 0]);
    if (i % 16 === 0) await sleep(1);
  }
}

test('predictStream is an async iterable that an AbortSignal cancels', async (t) => {
  const { client, server } = await startTestServer(t);
  const abort = new AbortController();
  let received = 0;
  await assert.rejects(
    (async () => {
      for await (const response of client.predictStream(endless(), { signal: abort.signal })) {
        assert.equal(response.id, `${received}`);
        if (++received === 50) abort.abort(new Error('enough'));
      }
    })(),
    /enough/,
  );
  assert.ok(received >= 50);
  // The server notices the cancelled stream and forgets it.
  for (let i = 0; i < 100 && server.openStreams > 0; i++) await sleep(20);
  assert.equal(server.openStreams, 0);
});

test('breaking out of predictStream cancels the call', async (t) => {
  const { client, server } = await startTestServer(t);
  let received = 0;
  for await (const _ of client.predictStream(endless())) {
    void _;
    if (++received === 10) break;
  }
  for (let i = 0; i < 100 && server.openStreams > 0; i++) await sleep(20);
  assert.equal(server.openStreams, 0);
});

test('a source that throws ends the stream with its error', async (t) => {
  const { client } = await startTestServer(t);
  async function* failing(): AsyncGenerator<PredictRequest> {
    yield addRequest('0', [1, 1, 1, 1], [1, 1, 1, 1]);
    await sleep(50);
    throw new Error('camera unplugged');
  }
  await assert.rejects(
    (async () => {
      for await (const _ of client.predictStream(failing())) void _;
    })(),
    /camera unplugged/,
  );
});

test('watch follows a published stream and listSessions lists it', async (t) => {
  const { client } = await startTestServer(t);
  const { solidPng } = await import('../helpers/images.js');
  const { imageItem } = await import('../helpers/requests.js');
  const png = await solidPng(64, 48, [20, 20, 230]);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* frames(): AsyncGenerator<PredictRequest> {
    yield imageItem('0', 'tiny-cnn', png);
    await gate;
    for (let i = 1; i < 4; i++) yield imageItem(`${i}`, 'tiny-cnn', png);
  }
  const producing = (async () => {
    const ids: string[] = [];
    for await (const r of client.predictStream(frames(), { streamOptions: { publish: 'blue' } })) ids.push(r.id);
    return ids;
  })();
  for (let i = 0; i < 100 && (await client.listSessions()).sessions.length === 0; i++) await sleep(20);
  assert.deepEqual((await client.listSessions()).sessions.map((s) => s.name), ['blue']);

  const seen: string[] = [];
  const watching = (async () => {
    for await (const event of client.watch('blue', { maxWidth: 32 })) {
      const id = event.response?.id ?? '';
      // Frame 0 may be answered after the watch began but was submitted before: it has no image.
      if (id === '0') continue;
      seen.push(id);
      assert.equal(event.width, 32);
    }
  })();
  await sleep(100);
  release();
  assert.deepEqual(await producing, ['0', '1', '2', '3']);
  await watching;
  assert.deepEqual(seen, ['1', '2', '3']);
});

test('predictStream takes a request only when gRPC took the previous one', async (t) => {
  const { client } = await startTestServer(t);
  const { frameRequest } = await import('../../client/index.js');
  // Raw pixels larger than HTTP/2's flow-control window: a server that stops reading stops the writes at once.
  const pixels = Buffer.alloc(512 * 512 * 3, 128);
  let pulled = 0;
  async function* frames(): AsyncGenerator<PredictRequest> {
    for (let i = 0; ; i++) {
      pulled++;
      yield frameRequest('tiny-cnn', { id: String(i), data: pixels, encoding: 'raw', width: 512, height: 512 });
      // Lets the answers in even if the writer never waited.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  let answered = 0;
  let ahead = 0;
  // A window of one with backpressure: the server reads the next frame only once the previous is answered.
  for await (const response of client.predictStream(frames(), { streamOptions: { maxInFlight: 1 } })) {
    assert.equal(response.id, String(answered));
    answered++;
    ahead = Math.max(ahead, pulled - answered);
    if (answered === 40) break;
  }
  t.diagnostic(`at most ${ahead} requests taken and not answered`);
  // grpc-js holds 16 written messages before write() returns false; a writer that ignored it would run thousands ahead.
  assert.ok(ahead <= 24, `${ahead} requests taken ahead of the answers`);
});
