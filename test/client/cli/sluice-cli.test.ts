import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { renderText } from '../../helpers/images.js';
import { CLI, REPO_ROOT } from '../../helpers/server-process.js';
import { startTestServer } from '../../helpers/test-server.js';

const execFileAsync = promisify(execFile);

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function sluice(args: readonly string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('sluice predict, models and health against a running server', async (t) => {
  const { address } = await startTestServer(t);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const image = join(dir, 'line.png');
  await writeFile(image, await renderText(400, 100, [{ text: 'command line', x: 20, y: 65, size: 40 }]));

  const predicted = await sluice(['--server', address, 'predict', image, '--model', 'ppocr-det']);
  assert.equal(predicted.code, 0, predicted.stderr);
  const response = JSON.parse(predicted.stdout) as { id: string; prediction: { detections: unknown[] } };
  assert.equal(response.id, image);
  assert.equal(response.prediction.detections.length, 1);

  const models = await sluice(['--server', address, 'models']);
  assert.equal(models.code, 0, models.stderr);
  assert.match(models.stdout, /^NAME\s+STATE\s+INPUT/);
  assert.match(models.stdout, /ppocr-det\s+ready\s+image\s+text_detection/);

  const one = await sluice(['--server', address, 'models', 'add']);
  assert.deepEqual((JSON.parse(one.stdout) as { config: { inputs: { name: string }[] } }).config.inputs.map((i) => i.name), ['a', 'b']);

  const health = await sluice(['--server', address, 'health']);
  assert.equal(health.code, 0);
  assert.equal(health.stdout.trim(), 'SERVING');
  const modelHealth = await sluice(['--server', address, 'health', '--model', 'nope']);
  assert.equal(modelHealth.code, 1);
  assert.equal(modelHealth.stdout.trim(), 'SERVICE_UNKNOWN');
});

test('sluice reports failures in one line with a non-zero exit', async (t) => {
  const { address } = await startTestServer(t);
  const unknownModel = await sluice(['--server', address, 'predict', join(REPO_ROOT, 'package.json'), '--model', 'nope']);
  assert.equal(unknownModel.code, 1);
  assert.equal(unknownModel.stderr.trim(), 'sluice: NOT_FOUND: model "nope" is not in the repository');

  const notAnImage = await sluice(['--server', address, 'predict', join(REPO_ROOT, 'package.json'), '--model', 'tiny-cnn']);
  assert.equal(notAnImage.code, 1);
  assert.match(notAnImage.stderr, /^sluice: INVALID_ARGUMENT: .*decod/);
  assert.equal(notAnImage.stderr.trim().split('\n').length, 1);

  const missing = await sluice(['--server', address, 'predict', '/no/such/file.png', '--model', 'tiny-cnn']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'sluice: cannot read /no/such/file.png: ENOENT');

  const unreachable = await sluice(['--server', '127.0.0.1:1', '--timeout', '500', 'models']);
  assert.equal(unreachable.code, 2);
  assert.equal(unreachable.stderr.trim(), 'sluice: cannot reach a Sluice server at 127.0.0.1:1 (set --server or SLUICE_SERVER; --tls if it serves TLS)');
});

test('sluice serve --print-config shows the effective configuration and rejects bad flags', async () => {
  const printed = await sluice(['serve', '--port', '6001', '--print-config']);
  assert.equal(printed.code, 0, printed.stderr);
  const config = JSON.parse(printed.stdout) as { port: number; workers: number };
  assert.equal(config.port, 6001);
  assert.ok(config.workers >= 1);

  const bad = await sluice(['serve', '--workers', 'lots']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), 'sluice: --workers must be an integer from 1 to 256, got "lots"');
});
