import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { solidPng } from '../../helpers/images.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';
import { sluice } from './run-cli.js';

test('sluice models push uploads a model that then answers, and sluice models still lists and describes', async (t) => {
  const repo = await tempRepository(t, [{ name: 'add', from: 'add' }]);
  const { address } = await startTestServer(t, { modelsDir: repo });
  const dir = await mkdtemp(join(tmpdir(), 'sluice-push-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const onnx = join(MODELS_DIR, 'tiny-cnn', 'model.onnx');
  const config = join(MODELS_DIR, 'tiny-cnn', 'model.yaml');

  // A config that names another model is refused before anything is sent.
  const misnamed = join(dir, 'model.yaml');
  await writeFile(misnamed, 'name: other\n');
  const [pushed, wrongName] = await Promise.all([
    sluice(['--server', address, 'models', 'push', onnx, '--config', config, '--name', 'pushed-cnn']),
    sluice(['--server', address, 'models', 'push', onnx, '--config', misnamed, '--name', 'pushed-cnn']),
  ]);
  assert.equal(wrongName.code, 1);
  assert.match(wrongName.stderr, /^sluice: --config /);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /^pushed pushed-cnn: .* in 2 files \(model\.onnx, model\.yaml\)$/m);
  assert.match(pushed.stdout, /^\s+input\s+image$/m);
  assert.match(pushed.stdout, /^\s+postprocessor\s+classification$/m);
  assert.match(pushed.stdout, /^\s+batch\s+16$/m);
  assert.deepEqual((await readdir(join(repo, 'pushed-cnn'))).sort(), ['model.onnx', 'model.yaml']);

  const image = join(dir, 'red.png');
  await writeFile(image, await solidPng(32, 32, [230, 20, 20]));
  const predicted = await sluice(['--server', address, 'predict', image, '--model', 'pushed-cnn']);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.equal((JSON.parse(predicted.stdout) as { prediction: { classes: { label: string }[] } }).prediction.classes[0]?.label, 'red');

  const again = await sluice(['--server', address, 'models', 'push', onnx, '--config', config, '--name', 'pushed-cnn']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^sluice: ALREADY_EXISTS: /);
  // The replacement takes its labels from a file, sent beside the config that names it.
  const replacement = join(dir, 'replacement.yaml');
  await writeFile(replacement, (await readFile(config, 'utf8')).replace(/^labels: .*$/m, 'labels_file: colours.txt'));
  await writeFile(join(dir, 'colours.txt'), 'rouge\nvert\nbleu\n');
  const replaced = await sluice(['--server', address, 'models', 'push', onnx, '--config', replacement, '--labels', join(dir, 'colours.txt'), '--name', 'pushed-cnn', '--replace', '--json']);
  assert.equal(replaced.code, 0, replaced.stderr);
  const answer = JSON.parse(replaced.stdout) as { model: { name: string }; config: { labels: string[] } };
  assert.equal(answer.model.name, 'pushed-cnn');
  assert.deepEqual(answer.config.labels, ['rouge', 'vert', 'bleu']);
  assert.deepEqual((await readdir(join(repo, 'pushed-cnn'))).sort(), ['colours.txt', 'model.onnx', 'model.yaml']);

  // The subcommands leave `sluice models --json` and `sluice models <name>` as they were.
  const [described, listed] = await Promise.all([sluice(['--server', address, 'models', 'pushed-cnn']), sluice(['--server', address, 'models', '--json'])]);
  assert.equal(described.code, 0, described.stderr);
  assert.deepEqual((JSON.parse(described.stdout) as { config: { labels: string[] } }).config.labels, ['rouge', 'vert', 'bleu']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout) as { models: { name: string }[] }).models.map((m) => m.name), ['add', 'pushed-cnn']);
  assert.deepEqual((await readdir(repo)).sort(), ['add', 'pushed-cnn']);
});
