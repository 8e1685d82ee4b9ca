import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrpcStatus, type PredictRequest, type PredictResponse, isServiceError } from '../../../client/index.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { addRequest, describeResult } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const hasCode = (code: GrpcStatus, pattern?: RegExp) => (err: unknown) => isServiceError(err) && err.code === code && (pattern === undefined || pattern.test(err.details));

test('load, reload and unload under a live stream lose no item', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'tiny-cnn', from: 'tiny-cnn' },
  ]);
  const { client } = await startTestServer(t, { modelsDir: models });
  const total = 400;
  async function* feed(): AsyncGenerator<PredictRequest> {
    for (let i = 0; i < total; i++) {
      yield addRequest(`${i}`, [i, 0, 0, 0], [1, 0, 0, 0]);
      if (i % 4 === 0) await sleep(2);
    }
  }
  const responses: PredictResponse[] = [];
  const streaming = (async () => {
    for await (const r of client.predictStream(feed(), { streamOptions: { maxInFlight: 32 } })) responses.push(r);
  })();

  await sleep(100);
  const reloaded = await client.loadModel('add');
  assert.equal(reloaded.model?.name, 'add');
  await client.unloadModel('tiny-cnn');
  await writeFile(join(models, 'add', 'model.yaml'), (await readFile(join(models, 'add', 'model.yaml'), 'utf8')).replace(/^description:.*$/m, 'description: second version'));
  await client.loadModel('add');
  await streaming;

  assert.equal(responses.length, total);
  responses.forEach((r, i) => {
    assert.equal(r.id, `${i}`);
    assert.equal(r.result?.$case, 'prediction', `item ${i}: ${describeResult(r)}`);
  });
  assert.equal((await client.getModel('add')).config?.description, 'second version');
  assert.deepEqual((await client.listModels()).models.map((m) => m.name), ['add']);
  assert.equal(await client.health('sluice.v1.InferenceService/tiny-cnn'), 'NOT_SERVING');

  await client.loadModel('tiny-cnn');
  assert.deepEqual((await client.listModels()).models.map((m) => m.name), ['add', 'tiny-cnn']);
  assert.equal(await client.health('sluice.v1.InferenceService/tiny-cnn'), 'SERVING');
});

test('a broken config on reload leaves the loaded version serving; unknown names are refused', async (t) => {
  const models = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const { client } = await startTestServer(t, { modelsDir: models });
  await writeFile(join(models, 'add', 'model.yaml'), 'max_batch_sise: 4\n');
  await assert.rejects(client.loadModel('add'), hasCode(GrpcStatus.FAILED_PRECONDITION, /model\.yaml: max_batch_sise is not a field/));
  const still = await client.predictOne(addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.equal(still.result?.$case, 'prediction');
  await assert.rejects(client.loadModel('missing'), hasCode(GrpcStatus.NOT_FOUND));
  await assert.rejects(client.loadModel('../etc'), hasCode(GrpcStatus.NOT_FOUND));
  await assert.rejects(client.unloadModel('missing'), hasCode(GrpcStatus.NOT_FOUND));
});

test('repository polling loads new folders, reloads changed ones and unloads removed ones', async (t) => {
  const models = await tempRepository(t, [
    { name: 'add', from: 'add' },
    { name: 'tiny-cnn', from: 'tiny-cnn' },
  ]);
  const { client } = await startTestServer(t, { modelsDir: models, pollIntervalMs: 100 });
  const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await sleep(50);
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const { cp } = await import('node:fs/promises');
  await cp(join(models, 'add'), join(models, 'add-two'), { recursive: true });
  await until(async () => (await client.listModels()).models.some((m) => m.name === 'add-two'), 'add-two to load');
  const yaml = join(models, 'add', 'model.yaml');
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^description:.*$/m, 'description: polled'));
  await until(async () => (await client.getModel('add')).config?.description === 'polled', 'add to reload');
  await rm(join(models, 'tiny-cnn'), { recursive: true });
  await until(async () => !(await client.listModels()).models.some((m) => m.name === 'tiny-cnn'), 'tiny-cnn to unload');
  const served = await client.predictOne({ ...addRequest('p', [1, 1, 1, 1], [1, 1, 1, 1]), model: 'add-two' });
  assert.equal(served.result?.$case, 'prediction');
});
