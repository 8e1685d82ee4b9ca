import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type Metadata, status } from '@grpc/grpc-js';
import type { GRPCInferenceServiceClient } from '../../../gen/ts/inference/grpc_service.js';
import { addInfer, failure, floatsOf, imageInfer, kserveClient, outputOf, rawStreamClient, streamInfer, unary, withToken } from '../../helpers/kserve-client.js';
import { solidPng } from '../../helpers/images.js';
import { startTestServer } from '../../helpers/test-server.js';

const TOKENS = {
  runner: 'runner-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
} as const;

async function tokenFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kserve-auth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tokens.yaml');
  await writeFile(
    path,
    `tokens:
  - { name: runner, token: ${TOKENS.runner}, roles: [infer] }
  - { name: admin, token: ${TOKENS.admin}, roles: [admin] }
  - { name: operator, token: ${TOKENS.operator}, roles: [infer, admin] }
`,
  );
  return path;
}

/** The status a call ends with, OK when it succeeds. */
async function codeOf(call: Promise<unknown>): Promise<status> {
  try {
    await call;
    return status.OK;
  } catch (err: unknown) {
    return (err as { code: status }).code;
  }
}

/** The index as `name version state reason` lines (empty parts left out), for the models named. */
async function indexOf(client: GRPCInferenceServiceClient, metadata: Metadata, names: readonly string[], ready = false): Promise<string[]> {
  const { models } = await unary(client.repositoryIndex.bind(client), { repositoryName: '', ready }, metadata);
  return models.filter((m) => names.includes(m.name)).map((m) => [m.name, m.version, m.state, m.reason].filter((part) => part !== '').join(' '));
}

test('with a token file, KServe calls need a token whose roles allow them', async (t) => {
  const { address } = await startTestServer(t, { tokenFile: await tokenFile(t) });
  const client = kserveClient(t, address);
  const stream = rawStreamClient(t, address);
  const add = addInfer('1', [1, 2, 3, 4], [1, 1, 1, 1]);

  const none = withToken(undefined);
  assert.equal(await codeOf(unary(client.serverLive.bind(client), {}, none)), status.UNAUTHENTICATED);
  assert.equal(await codeOf(unary(client.modelInfer.bind(client), add, none)), status.UNAUTHENTICATED);
  assert.equal(await codeOf(unary(client.repositoryModelUnload.bind(client), { repositoryName: '', modelName: 'add', parameters: {} }, none)), status.UNAUTHENTICATED);
  assert.equal(await codeOf(streamInfer(stream, [add], none)), status.UNAUTHENTICATED);
  assert.equal(await codeOf(unary(client.modelInfer.bind(client), add, withToken('not-a-token-0123456789abcdef'))), status.UNAUTHENTICATED);

  const runner = withToken(TOKENS.runner);
  assert.deepEqual(floatsOf(outputOf(await unary(client.modelInfer.bind(client), add, runner), 'sum')), [2, 3, 4, 5]);
  assert.equal((await streamInfer(stream, [add], runner))[0]?.errorMessage, '');
  for (const call of [
    () => unary(client.serverReady.bind(client), {}, runner),
    () => unary(client.modelMetadata.bind(client), { name: 'add', version: '' }, runner),
    () => unary(client.modelConfig.bind(client), { name: 'add', version: '' }, runner),
    () => unary(client.modelStatistics.bind(client), { name: '', version: '' }, runner),
    () => unary(client.repositoryIndex.bind(client), { repositoryName: '', ready: false }, runner),
  ]) {
    assert.equal(await codeOf(call()), status.OK);
  }
  const load = await failure(unary(client.repositoryModelLoad.bind(client), { repositoryName: '', modelName: 'add', parameters: {} }, runner));
  assert.equal(load.code, status.PERMISSION_DENIED);
  assert.match(load.details, /RepositoryModelLoad needs the admin role/);
  assert.equal(await codeOf(unary(client.repositoryModelUnload.bind(client), { repositoryName: '', modelName: 'add', parameters: {} }, runner)), status.PERMISSION_DENIED);

  // admin administers and nothing else.
  assert.equal(await codeOf(unary(client.modelInfer.bind(client), add, withToken(TOKENS.admin))), status.PERMISSION_DENIED);
});

test('RepositoryModelUnload and RepositoryModelLoad go through model control; parameters are refused', async (t) => {
  const { address } = await startTestServer(t, { tokenFile: await tokenFile(t) });
  const client = kserveClient(t, address);
  const operator = withToken(TOKENS.operator);
  const models = ['add', 'tiny-heatmap'];
  const spot = await solidPng(64, 64, [0, 0, 0]);
  const request = (modelName: string) => ({ repositoryName: '', modelName, parameters: {} });

  assert.deepEqual(await indexOf(client, operator, models), ['add 1 READY', 'tiny-heatmap 1 READY']);
  await unary(client.repositoryModelUnload.bind(client), request('tiny-heatmap'), operator);
  assert.deepEqual(await indexOf(client, operator, models), ['add 1 READY', 'tiny-heatmap UNAVAILABLE not loaded']);
  assert.deepEqual(await indexOf(client, operator, models, true), ['add 1 READY']);
  // Known to the repository, so not ready rather than unknown.
  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'tiny-heatmap', version: '' }, operator), { ready: false });
  assert.equal(await codeOf(unary(client.modelInfer.bind(client), imageInfer('x', 'tiny-heatmap', spot), operator)), status.NOT_FOUND);

  await unary(client.repositoryModelLoad.bind(client), request('tiny-heatmap'), operator);
  assert.deepEqual(await indexOf(client, operator, models), ['add 1 READY', 'tiny-heatmap 1 READY']);
  assert.deepEqual(await unary(client.modelReady.bind(client), { name: 'tiny-heatmap', version: '' }, operator), { ready: true });
  assert.equal(await codeOf(unary(client.modelInfer.bind(client), imageInfer('x', 'tiny-heatmap', spot), operator)), status.OK);

  const withParameters = await failure(
    unary(client.repositoryModelLoad.bind(client), { ...request('tiny-heatmap'), parameters: { config: { parameterChoice: { $case: 'stringParam', value: '{}' } } } }, operator),
  );
  assert.equal(withParameters.code, status.INVALID_ARGUMENT);
  assert.match(withParameters.details, /parameter "config" is not supported/);
  const unloadWithParameters = await failure(
    unary(client.repositoryModelUnload.bind(client), { ...request('add'), parameters: { unload_dependents: { parameterChoice: { $case: 'boolParam', value: true } } } }, operator),
  );
  assert.equal(unloadWithParameters.code, status.INVALID_ARGUMENT);
  assert.match(unloadWithParameters.details, /"unload_dependents"/);
  assert.equal(await codeOf(unary(client.repositoryModelLoad.bind(client), request('nope'), operator)), status.NOT_FOUND);
  assert.equal(await codeOf(unary(client.repositoryModelLoad.bind(client), { ...request('add'), repositoryName: 'elsewhere' }, operator)), status.NOT_FOUND);
  assert.deepEqual(await indexOf(client, operator, models), ['add 1 READY', 'tiny-heatmap 1 READY']);
});
