import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { SluiceClient, type PredictRequest, isServiceError } from '../../../client/index.js';
import { pino } from 'pino';
import { SluiceServer, resolveServerConfig } from '../../../server/index.js';
import { sluice } from '../../client/cli/run-cli.js';
import { solidPng } from '../../helpers/images.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';
import { codeOf } from '../../helpers/code-of.js';

const TOKENS = {
  runner: 'runner-token-0123456789abcdef',
  watcher: 'watcher-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
  both: 'both-token-0123456789abcdef',
} as const;

const TOKEN_FILE = `tokens:
  - { name: runner, token: ${TOKENS.runner}, roles: [infer] }
  - { name: watcher, token: ${TOKENS.watcher}, roles: [watch] }
  - { name: admin, token: ${TOKENS.admin}, roles: [admin] }
  - { name: both, token: ${TOKENS.both}, roles: [infer, watch] }
`;

async function tokenFile(t: TestContext, text = TOKEN_FILE): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tokens.yaml');
  await writeFile(path, text);
  return path;
}

function clientFor(t: TestContext, address: string, token?: string): SluiceClient {
  const client = new SluiceClient(address, token === undefined ? {} : { token });
  t.after(() => client.close());
  return client;
}

async function* oneItem(request: PredictRequest): AsyncGenerator<PredictRequest> {
  yield request;
}

const add = (): PredictRequest => addRequest('1', [1, 2, 3, 4], [1, 1, 1, 1]);

test('with a token file, each call needs a token whose roles allow it', async (t) => {
  const { address } = await startTestServer(t, { tokenFile: await tokenFile(t) });
  const anonymous = clientFor(t, address);
  const unknown = clientFor(t, address, 'not-a-token-0123456789abcdef');
  const runner = clientFor(t, address, TOKENS.runner);
  const watcher = clientFor(t, address, TOKENS.watcher);
  const admin = clientFor(t, address, TOKENS.admin);

  await t.test('no token or an unknown one: UNAUTHENTICATED, on every service', async () => {
    for (const client of [anonymous, unknown]) {
      assert.equal(await codeOf(client.listModels()), status.UNAUTHENTICATED);
      assert.equal(await codeOf(client.predictOne(add())), status.UNAUTHENTICATED);
      assert.equal(await codeOf(client.health()), status.UNAUTHENTICATED);
      assert.equal(await codeOf(client.loadModel('add')), status.UNAUTHENTICATED);
    }
    const err = await anonymous.listModels().catch((e: unknown) => e);
    assert.ok(isServiceError(err) && /authorization: Bearer/.test(err.details), 'the message says how to authenticate');
  });

  await t.test('a stream without a token ends UNAUTHENTICATED before any item is read', async () => {
    await assert.rejects(
      (async () => {
        for await (const _ of anonymous.predictStream(oneItem(add()))) assert.fail('no answer without a token');
      })(),
      (err: unknown) => isServiceError(err) && err.code === status.UNAUTHENTICATED,
    );
  });

  await t.test('infer runs models but may not watch or administer', async () => {
    assert.equal(await codeOf(runner.predictOne(add())), status.OK);
    assert.equal(await codeOf(runner.listModels()), status.OK);
    assert.equal(await codeOf(runner.getModel('add')), status.OK);
    assert.equal(await runner.health(), 'SERVING');
    const answers: string[] = [];
    for await (const r of runner.predictStream(oneItem(add()))) answers.push(r.result?.$case ?? '');
    assert.deepEqual(answers, ['prediction']);
    assert.equal(await codeOf(runner.listSessions()), status.PERMISSION_DENIED);
    assert.equal(await codeOf(runner.unloadModel('add')), status.PERMISSION_DENIED);
    const err = await runner.loadModel('add').catch((e: unknown) => e);
    assert.ok(isServiceError(err) && err.code === status.PERMISSION_DENIED && /LoadModel needs the admin role, which "runner" does not have/.test(err.details), String(err));
  });

  await t.test('watch lists and watches but may not run models', async () => {
    assert.equal(await codeOf(watcher.listSessions()), status.OK);
    assert.equal(await codeOf(watcher.predictOne(add())), status.PERMISSION_DENIED);
    assert.equal(await codeOf(watcher.loadModel('add')), status.PERMISSION_DENIED);
  });

  await t.test('admin loads and unloads, and nothing else', async () => {
    assert.equal(await codeOf(admin.loadModel('add')), status.OK);
    assert.equal(await codeOf(admin.predictOne(add())), status.PERMISSION_DENIED);
  });
});

test('tokens never reach the log, accepted or refused', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const config = resolveServerConfig({
    flags: { port: 0, modelsDir: MODELS_DIR, workers: 1, logLevel: 'trace', metricsPort: -1, tokenFile: await tokenFile(t) },
  });
  const server = await SluiceServer.start(config, { logger: pino({ level: 'trace' }, sink) });
  t.after(() => server.close());
  const address = `127.0.0.1:${server.port}`;
  const wrong = 'wrong-token-0123456789abcdef';
  assert.equal(await codeOf(clientFor(t, address, TOKENS.runner).predictOne(add())), status.OK);
  assert.equal(await codeOf(clientFor(t, address, TOKENS.runner).loadModel('add')), status.PERMISSION_DENIED);
  assert.equal(await codeOf(clientFor(t, address, wrong).listModels()), status.UNAUTHENTICATED);
  await sleep(50);
  const log = lines.join('');
  assert.match(log, /refused: role missing/, 'refusals are logged');
  assert.match(log, /refused: unauthenticated/);
  for (const secret of [...Object.values(TOKENS), wrong]) assert.ok(!log.includes(secret), 'a token is in the log');
});

test('reloadTokens (SIGHUP) swaps the tokens; an invalid file leaves them in force', async (t) => {
  const path = await tokenFile(t);
  const { server, address } = await startTestServer(t, { tokenFile: path });
  const fresh = 'fresh-token-0123456789abcdef';
  assert.equal(await codeOf(clientFor(t, address, fresh).listModels()), status.UNAUTHENTICATED);

  await writeFile(path, `tokens:\n  - { name: fresh, token: ${fresh}, roles: [infer] }\n`);
  await server.reloadTokens();
  assert.equal(await codeOf(clientFor(t, address, fresh).listModels()), status.OK);
  assert.equal(await codeOf(clientFor(t, address, TOKENS.runner).listModels()), status.UNAUTHENTICATED, 'a removed token stops working');

  await writeFile(path, 'tokens: [oops');
  await assert.rejects(server.reloadTokens(), (err: unknown) => (err as { code?: string }).code === 'INVALID_CONFIG');
  assert.equal(await codeOf(clientFor(t, address, fresh).listModels()), status.OK, 'the tokens in force stay');
});

test('without a token file: loopback may do everything, admin calls from the network are refused', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && !a.internal && a.family === 'IPv4')?.address;
  const { address } = await startTestServer(t, { host: '0.0.0.0' });
  const loopback = clientFor(t, address);
  assert.equal(await codeOf(loopback.loadModel('add')), status.OK);
  assert.equal(await codeOf(loopback.predictOne(add())), status.OK);
  if (external === undefined) {
    t.diagnostic('this machine has no non-loopback IPv4 address; the remote half is not exercised');
    return;
  }
  const remote = clientFor(t, `${external}:${address.split(':')[1]}`);
  assert.equal(await codeOf(remote.predictOne(add())), status.OK, 'inference is open to the network the operator chose');
  assert.equal(await codeOf(remote.listSessions()), status.OK);
  const err = await remote.unloadModel('add').catch((e: unknown) => e);
  assert.ok(isServiceError(err) && err.code === status.PERMISSION_DENIED && /only from loopback/.test(err.details), String(err));
  assert.equal(await codeOf(remote.loadModel('add')), status.PERMISSION_DENIED);
});

test('the server listens on loopback unless told otherwise', () => {
  assert.equal(resolveServerConfig({}).host, '127.0.0.1');
});

test('a private published stream is listed and watchable only with its publisher\'s token', async (t) => {
  const { address } = await startTestServer(t, {
    tokenFile: await tokenFile(t, `${TOKEN_FILE}  - { name: other, token: other-token-0123456789abcdef, roles: [infer, watch] }\n`),
  });
  const owner = clientFor(t, address, TOKENS.both);
  const other = clientFor(t, address, 'other-token-0123456789abcdef');
  const stop = new AbortController();
  t.after(() => stop.abort());
  const png = await solidPng(64, 64, [200, 30, 30]);
  async function* frames(): AsyncGenerator<PredictRequest> {
    for (let i = 0; !stop.signal.aborted; i++) {
      yield imageItem(String(i), 'tiny-cnn', png);
      await sleep(50);
    }
  }
  const publishing = (async () => {
    for await (const _ of owner.predictStream(frames(), { signal: stop.signal, streamOptions: { publish: 'mine', private: true } })) void _;
  })().catch(() => undefined);
  t.after(() => publishing);
  let listed: string[] = [];
  for (let i = 0; i < 50 && listed.length === 0; i++) {
    await sleep(20);
    listed = (await owner.listSessions()).sessions.map((s) => `${s.name}:${s.private}`);
  }
  assert.deepEqual(listed, ['mine:true'], 'the publisher sees it, marked private');
  assert.deepEqual((await other.listSessions()).sessions, [], 'others do not');

  const watchedByOwner = owner.watch('mine', { signal: stop.signal });
  assert.equal((await watchedByOwner.next()).done, false, 'the publisher can watch it');
  await assert.rejects(
    (async () => {
      for await (const _ of other.watch('mine')) assert.fail('another token must not see a frame');
    })(),
    (err: unknown) => isServiceError(err) && err.code === status.PERMISSION_DENIED && /private to its publisher/.test(err.details),
  );
  await watchedByOwner.return(undefined);
});

test('the CLI sends --token (or SLUICE_TOKEN) and reports a refusal in one line', async (t) => {
  const { address } = await startTestServer(t, { tokenFile: await tokenFile(t) });
  const withFlag = await sluice(['--server', address, '--token', TOKENS.runner, 'models']);
  assert.equal(withFlag.code, 0, withFlag.stderr);
  assert.match(withFlag.stdout, /ppocr-det/);
  const fromEnv = await sluice(['--server', address, 'health'], { SLUICE_TOKEN: TOKENS.runner });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  const without = await sluice(['--server', address, 'models'], { SLUICE_TOKEN: '' });
  assert.equal(without.code, 1);
  assert.match(without.stderr, /^sluice: UNAUTHENTICATED: this server requires a token/);
});
