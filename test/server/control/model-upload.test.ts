import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServiceError, credentials, Metadata, status } from '@grpc/grpc-js';
import { InferenceClient, SluiceClient, securityClientOptions } from '../../../client/index.js';
import type { PushModelFile } from '../../../client/index.js';
import type { PushFile, PushModelRequest, PushModelResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { installModel } from '../../../server/control/install-model.js';
import type { LoadedModel } from '../../../server/repository/load-model.js';
import { createLogger } from '../../../server/index.js';
import { solidPng } from '../../helpers/images.js';
import { captureLog } from '../../helpers/log-capture.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';
import { codeOf } from '../../helpers/code-of.js';

const ADMIN = 'admin-token-0123456789abcdef';
const RUNNER = 'runner-token-0123456789abcdef';
/** Small, so that an oversize push needs no large buffer; tiny-cnn's files are under 2 KiB. */
const MAX_MODEL_BYTES = 8192;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const describe = (name: string, data: Uint8Array): PushFile => ({ name, size: data.length, sha256: sha256(data) });
const header = (name: string, files: PushFile[], replace = false): PushModelRequest => ({ part: { $case: 'header', value: { name, files, replace } } });
const chunk = (file: number, data: Uint8Array): PushModelRequest => ({ part: { $case: 'chunk', value: { file, data } } });

/** What the repository folder holds, every level. */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

async function tokenFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-push-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tokens.yaml');
  await writeFile(path, `tokens:\n  - { name: admin, token: ${ADMIN}, roles: [admin, infer] }\n  - { name: runner, token: ${RUNNER}, roles: [infer] }\n`);
  return path;
}

test('PushModel stages, checks and installs a model, and any failure leaves the repository as it was', async (t) => {
  const repo = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const log = captureLog('info');
  const { address } = await startTestServer(t, { modelsDir: repo, tokenFile: await tokenFile(t), maxModelBytes: MAX_MODEL_BYTES }, { logger: log.logger });
  const admin = new SluiceClient(address, { token: ADMIN });
  const stub = new InferenceClient(address, credentials.createInsecure(), securityClientOptions({ token: ADMIN }));
  t.after(() => {
    admin.close();
    stub.close();
  });

  const onnx = await readFile(join(MODELS_DIR, 'tiny-cnn', 'model.onnx'));
  const yaml = await readFile(join(MODELS_DIR, 'tiny-cnn', 'model.yaml'), 'utf8');
  const tinyCnn = (labels = 'red, green, blue'): PushModelFile[] => [
    { name: 'model.onnx', data: onnx },
    { name: 'model.yaml', data: Buffer.from(yaml.replace('labels: [red, green, blue]', `labels: [${labels}]`)) },
  ];
  const red = await solidPng(32, 32, [230, 20, 20]);
  const topLabel = async (model: string): Promise<string | undefined> => {
    const response = await admin.predictOne(imageItem('1', model, red));
    return response.result?.$case === 'prediction' ? response.result.value.classes[0]?.label : undefined;
  };

  /** Sends `messages` as they are on one call (ending it when `end`), and resolves with its status code. */
  const push = (messages: readonly PushModelRequest[], options: { end?: boolean; signal?: AbortSignal } = {}): Promise<status> =>
    codeOf(
      new Promise<PushModelResponse>((resolve, reject) => {
        const call = stub.pushModel(new Metadata(), (err: ServiceError | null, value?: PushModelResponse) => (err === null ? resolve(value as PushModelResponse) : reject(err)));
        options.signal?.addEventListener('abort', () => call.cancel(), { once: true });
        for (const message of messages) call.write(message);
        if (options.end !== false) call.end();
      }),
    );

  await t.test('a new model is installed, loaded and answers', async () => {
    const response = await admin.pushModel('pushed-cnn', tinyCnn());
    assert.equal(response.model?.name, 'pushed-cnn');
    assert.equal(response.model?.acceptsImages, true);
    assert.equal(response.model?.postprocessor, 'classification');
    assert.equal(response.bytes, onnx.length + Buffer.byteLength(yaml));
    assert.deepEqual(response.config?.labels, ['red', 'green', 'blue']);
    assert.equal(await topLabel('pushed-cnn'), 'red');
    assert.deepEqual(await listing(repo), ['add', 'add/model.onnx', 'add/model.yaml', 'pushed-cnn', 'pushed-cnn/model.onnx', 'pushed-cnn/model.yaml']);
    const [pushed] = log.withMessage('model pushed');
    assert.deepEqual(
      { model: pushed?.model, bytes: pushed?.bytes, files: pushed?.files, replaced: pushed?.replaced, caller: pushed?.caller },
      { model: 'pushed-cnn', bytes: response.bytes, files: ['model.onnx', 'model.yaml'], replaced: false, caller: 'admin' },
    );
  });

  await t.test('an existing name needs replace; with it the new version serves and the old folder is gone', async () => {
    assert.equal(await codeOf(admin.pushModel('pushed-cnn', tinyCnn('rouge, vert, bleu'))), status.ALREADY_EXISTS);
    assert.equal(await codeOf(admin.pushModel('add', tinyCnn())), status.ALREADY_EXISTS);
    assert.equal(await topLabel('pushed-cnn'), 'red');
    const response = await admin.pushModel('pushed-cnn', tinyCnn('rouge, vert, bleu'), { replace: true });
    assert.deepEqual(response.config?.labels, ['rouge', 'vert', 'bleu']);
    assert.equal(await topLabel('pushed-cnn'), 'rouge');
    assert.match(await readFile(join(repo, 'pushed-cnn', 'model.yaml'), 'utf8'), /rouge/);
    assert.equal(log.withMessage('model pushed')[1]?.replaced, true);
    assert.deepEqual(await listing(repo), ['add', 'add/model.onnx', 'add/model.yaml', 'pushed-cnn', 'pushed-cnn/model.onnx', 'pushed-cnn/model.yaml']);
  });

  const before = await listing(repo);
  const servedYaml = await readFile(join(repo, 'pushed-cnn', 'model.yaml'), 'utf8');
  /** The repository is exactly as it was, with no staging or previous folder left, and the pushed model still answers. */
  const unchanged = async (): Promise<void> => {
    assert.deepEqual(await listing(repo), before);
    assert.equal(await readFile(join(repo, 'pushed-cnn', 'model.yaml'), 'utf8'), servedYaml);
    assert.equal(await topLabel('pushed-cnn'), 'rouge');
  };

  await t.test('a truncated upload is INVALID_ARGUMENT', async () => {
    const half = onnx.subarray(0, onnx.length >> 1);
    assert.equal(await push([header('cut', [describe('model.onnx', onnx)]), chunk(0, half)]), status.INVALID_ARGUMENT);
    // The second file is never reached: the first still misses bytes when the stream ends.
    assert.equal(await push([header('cut', [describe('model.onnx', onnx), describe('labels.txt', Buffer.from('a\n'))]), chunk(0, onnx)]), status.INVALID_ARGUMENT);
    await unchanged();
  });

  await t.test('protocol violations are INVALID_ARGUMENT', async () => {
    const files = [describe('model.onnx', onnx)];
    assert.equal(await push([]), status.INVALID_ARGUMENT, 'no header');
    assert.equal(await push([chunk(0, onnx)]), status.INVALID_ARGUMENT, 'a chunk first');
    assert.equal(await push([header('x', files), header('x', files)]), status.INVALID_ARGUMENT, 'two headers');
    assert.equal(await push([header('x', files), chunk(0, onnx), chunk(0, Buffer.from([0]))]), status.INVALID_ARGUMENT, 'more bytes than declared');
    assert.equal(await push([header('x', files), chunk(1, onnx)]), status.INVALID_ARGUMENT, 'a file that is not listed');
    const yamlBytes = Buffer.from(yaml);
    const two = [describe('model.onnx', onnx), describe('model.yaml', yamlBytes)];
    assert.equal(await push([header('x', two), chunk(1, yamlBytes), chunk(0, onnx)]), status.INVALID_ARGUMENT, 'files out of order');
    assert.equal(await push([header('x', two), chunk(0, onnx.subarray(0, 10)), chunk(1, yamlBytes)]), status.INVALID_ARGUMENT, 'moving on before a file is complete');
    assert.equal(await push([header('x', [])]), status.INVALID_ARGUMENT, 'no ONNX file');
    assert.equal(await push([header('x', [describe('a.onnx', onnx), describe('b.onnx', onnx)])]), status.INVALID_ARGUMENT, 'two ONNX files');
    assert.equal(await push([header('x', [describe('model.onnx', onnx), describe('model.onnx', onnx)])]), status.INVALID_ARGUMENT, 'a file twice');
    assert.equal(await push([header('x', [describe('model.onnx', onnx), describe('run.sh', yamlBytes)])]), status.INVALID_ARGUMENT, 'a file of another kind');
    assert.equal(await push([header('x', [{ ...describe('model.onnx', onnx), sha256: 'ABC' }])]), status.INVALID_ARGUMENT, 'a malformed digest');
    assert.equal(await push([header('x'.repeat(129), files)]), status.INVALID_ARGUMENT, 'a long name');
    await unchanged();
  });

  await t.test('names that leave the model folder, or the repository, are INVALID_ARGUMENT', async () => {
    for (const file of ['../x.onnx', '../../x.onnx', 'sub/model.onnx', 'sub\\model.onnx', '.hidden.onnx', '..onnx']) {
      assert.equal(await push([header('escape', [describe(file, onnx)]), chunk(0, onnx)]), status.INVALID_ARGUMENT, file);
    }
    for (const name of ['../escape', '..', '.staging-x', 'a/b', '', '-x']) {
      assert.equal(await push([header(name, [describe('model.onnx', onnx)]), chunk(0, onnx)]), status.INVALID_ARGUMENT, name);
    }
    assert.equal(existsSync(join(repo, '..', 'x.onnx')), false);
    assert.equal(existsSync(join(repo, '..', 'escape')), false);
    await unchanged();
  });

  await t.test('a wrong checksum is DATA_LOSS', async () => {
    const forged = { ...describe('model.onnx', onnx), sha256: sha256(Buffer.from('something else')) };
    assert.equal(await push([header('forged', [forged]), chunk(0, onnx)]), status.DATA_LOSS);
    const yamlBytes = Buffer.from(yaml);
    const badYaml = { ...describe('model.yaml', yamlBytes), sha256: sha256(onnx) };
    assert.equal(await push([header('pushed-cnn', [describe('model.onnx', onnx), badYaml], true), chunk(0, onnx), chunk(1, yamlBytes)]), status.DATA_LOSS);
    await unchanged();
  });

  await t.test('more bytes than --max-model-bytes is RESOURCE_EXHAUSTED', async () => {
    const big = Buffer.alloc(MAX_MODEL_BYTES - 100);
    assert.equal(await push([header('big', [describe('model.onnx', onnx), describe('labels.txt', big)]), chunk(0, onnx)]), status.RESOURCE_EXHAUSTED);
    await unchanged();
  });

  await t.test('a model that does not load is refused, and the served version goes on answering', async () => {
    const noise = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 37 + 11) & 0xff));
    const truncated = onnx.subarray(0, onnx.length - 200);
    for (const broken of [noise, truncated]) {
      const files = [{ name: 'model.onnx', data: broken }, tinyCnn()[1] as PushModelFile];
      assert.equal(await codeOf(admin.pushModel('broken', files)), status.FAILED_PRECONDITION);
      assert.equal(await codeOf(admin.pushModel('pushed-cnn', files, { replace: true })), status.FAILED_PRECONDITION);
    }
    // A configuration that does not fit the ONNX file.
    const misfit = [tinyCnn()[0] as PushModelFile, { name: 'model.yaml', data: Buffer.from('inputs:\n  - { name: nope, dtype: DATA_TYPE_FLOAT32, shape: [-1, 4] }\n') }];
    assert.equal(await codeOf(admin.pushModel('pushed-cnn', misfit, { replace: true })), status.FAILED_PRECONDITION);
    assert.deepEqual((await admin.listModels()).models.map((m) => m.name), ['add', 'pushed-cnn']);
    await unchanged();
  });

  await t.test('a cancelled push leaves nothing behind, and a second push of a name being pushed is ABORTED', async () => {
    const cancel = new AbortController();
    const pending = push([header('slow', [describe('model.onnx', onnx)]), chunk(0, onnx.subarray(0, 100))], { end: false, signal: cancel.signal });
    while (!(await readdir(repo)).some((f) => f.startsWith('.staging-'))) await sleep(10);
    assert.equal(await push([header('slow', [describe('model.onnx', onnx)]), chunk(0, onnx)]), status.ABORTED);
    cancel.abort();
    assert.equal(await pending, status.CANCELLED);
    const deadline = Date.now() + 5_000;
    while ((await readdir(repo)).some((f) => f.startsWith('.')) && Date.now() < deadline) await sleep(10);
    await unchanged();
    // The name is free again: the next push of it gets as far as its digest.
    const forged = { ...describe('model.onnx', onnx), sha256: sha256(Buffer.from('other')) };
    assert.equal(await push([header('slow', [forged]), chunk(0, onnx)]), status.DATA_LOSS);
    await unchanged();
  });

  await t.test('without the admin role: PERMISSION_DENIED, and UNAUTHENTICATED without a token', async () => {
    const runner = new SluiceClient(address, { token: RUNNER });
    const anonymous = new SluiceClient(address);
    t.after(() => {
      runner.close();
      anonymous.close();
    });
    assert.equal(await codeOf(runner.pushModel('by-runner', tinyCnn())), status.PERMISSION_DENIED);
    assert.equal(await codeOf(anonymous.pushModel('by-anonymous', tinyCnn())), status.UNAUTHENTICATED);
    await unchanged();
    assert.ok(!log.records.some((r) => JSON.stringify(r).includes(ADMIN) || JSON.stringify(r).includes(RUNNER)), 'no token reaches the log');
  });
});

test('installModel puts the previous folder back when the new version does not load', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-install-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const logger = createLogger({ level: 'silent', pretty: false });
  const stage = async (name: string, text: string): Promise<string> => {
    const folder = join(dir, name);
    await mkdir(folder);
    await writeFile(join(folder, 'version'), text);
    return folder;
  };
  await stage('m', 'v1');
  const failing = await stage('.staging-a', 'v2');
  const loadFails = (): Promise<never> => Promise.reject(new Error('does not load'));
  await assert.rejects(installModel({ dir, name: 'm', staging: failing, replace: true, load: loadFails, logger }), /does not load/);
  assert.equal(await readFile(join(dir, 'm', 'version'), 'utf8'), 'v1');
  assert.equal(await readFile(join(failing, 'version'), 'utf8'), 'v2', 'the new files are back in staging, for the caller to remove');
  assert.deepEqual((await readdir(dir)).sort(), ['.staging-a', 'm']);

  const fresh = await stage('.staging-b', 'new');
  await assert.rejects(installModel({ dir, name: 'n', staging: fresh, replace: false, load: loadFails, logger }), /does not load/);
  assert.deepEqual((await readdir(dir)).sort(), ['.staging-a', '.staging-b', 'm']);

  const loaded = { name: 'm' } as unknown as LoadedModel;
  const installed = await installModel({ dir, name: 'm', staging: failing, replace: true, load: () => Promise.resolve(loaded), logger });
  assert.equal(installed.replaced, true);
  assert.equal(await readFile(join(dir, 'm', 'version'), 'utf8'), 'v2');
  assert.deepEqual((await readdir(dir)).sort(), ['.staging-b', 'm'], 'no previous folder is left');
  await assert.rejects(installModel({ dir, name: 'm', staging: fresh, replace: false, load: () => Promise.resolve(loaded), logger }), { code: 'ALREADY_EXISTS' });
});
