/**
 * Models from the browser through the bridge: a multipart upload becomes a `PushModel` of the
 * server, the configuration it is served with comes back with each value's origin, the model
 * then answers, and refusals say why with an HTTP status that fits.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildYolov8LayoutModel } from '../../models/tiny/yolov8-layout-model.js';
import { solidPng } from '../helpers/images.js';
import { tempRepository } from '../helpers/model-repo.js';
import { imageItem } from '../helpers/requests.js';
import { MODELS_DIR } from '../helpers/test-server.js';
import { bearer, startBridgeFixture, writeTokenFile } from './bridge-fixture.js';

/** A multipart form with the given files and fields. */
function form(files: Record<string, { name: string; data: Uint8Array }>, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [field, value] of Object.entries(fields)) body.append(field, value);
  for (const [field, file] of Object.entries(files)) body.append(field, new Blob([file.data]), file.name);
  return body;
}

test('an ONNX file uploaded from the page is served, its inferred configuration shown, and bad uploads refused', async (t) => {
  const repo = await tempRepository(t, [{ name: 'tiny-cnn', from: 'tiny-cnn' }]);
  const { app, client } = await startBridgeFixture(t, {}, { modelsDir: repo, workers: 1 });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const upload = (body: FormData, headers: Record<string, string> = {}): Promise<Response> => fetch(`${address}/api/model-uploads`, { method: 'POST', body, headers });

  const detector = buildYolov8LayoutModel();
  const labels = new TextEncoder().encode('cat\ndog\nbird\n');
  const pushed = await upload(form({ model: { name: 'cats.onnx', data: detector }, labels: { name: 'names.txt', data: labels } }));
  assert.equal(pushed.status, 200, await pushed.clone().text());
  const answer = (await pushed.json()) as { model: { name: string; postprocessor: string }; config: { labels: string[] }; sources: { field: string; origin: string }[] };
  assert.deepEqual([answer.model.name, answer.model.postprocessor, answer.config.labels], ['cats', 'detection', ['cat', 'dog', 'bird']]);
  assert.ok(answer.sources.some((s) => s.field === 'postprocessor' && s.origin === 'CONFIG_ORIGIN_INFERRED'), JSON.stringify(answer.sources));
  const described = (await (await fetch(`${address}/api/models/cats`)).json()) as { config: { preprocessing: { resizeMode: string } } };
  assert.equal(described.config.preprocessing.resizeMode, 'RESIZE_MODE_LETTERBOX');
  const predicted = await client.predictOne(imageItem('p', 'cats', await solidPng(640, 640, [1, 2, 3])));
  assert.deepEqual(predicted.result?.$case === 'prediction' ? predicted.result.value.detections.map((d) => d.label) : [], ['cat', 'dog', 'bird']);

  // With a model.yaml: the repository's tiny-cnn under another name.
  const yaml = (await readFile(join(MODELS_DIR, 'tiny-cnn', 'model.yaml'), 'utf8')).replace(/^name:.*$/m, '');
  const withConfig = await upload(
    form({ model: { name: 'net.onnx', data: await readFile(join(MODELS_DIR, 'tiny-cnn', 'model.onnx')) }, config: { name: 'model.yaml', data: new TextEncoder().encode(yaml) } }, { name: 'colours' }),
  );
  assert.equal(withConfig.status, 200, await withConfig.clone().text());

  const refusals: [string, Promise<Response>, number, string][] = [
    ['no model file', upload(form({ labels: { name: 'l.txt', data: labels } })), 400, 'BAD_UPLOAD'],
    ['not an ONNX file', upload(form({ model: { name: 'broken.onnx', data: new TextEncoder().encode('not a model') } })), 422, 'UPSTREAM_ERROR'],
    ['a name in use', upload(form({ model: { name: 'cats.onnx', data: detector } })), 409, 'UPSTREAM_ERROR'],
    ['an unknown field', upload(form({ model: { name: 'x.onnx', data: detector }, weights: { name: 'w.bin', data: detector } })), 400, 'BAD_UPLOAD'],
  ];
  for (const [what, response, code, error] of refusals) {
    const r = await response;
    assert.equal(r.status, code, what);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, error, what);
  }
  assert.deepEqual((await client.listModels()).models.map((m) => m.name), ['cats', 'colours', 'tiny-cnn'], 'refused uploads leave the repository as it was');
});

test('only the admin role may upload', async (t) => {
  const viewer = { name: 'viewer', token: 'viewer-token-0123456789', roles: ['infer', 'watch'] as const };
  const admin = { name: 'ops', token: 'ops-token-0123456789ab', roles: ['infer', 'watch', 'admin'] as const };
  const tokenFile = await writeTokenFile(t, [viewer, admin]);
  const repo = await tempRepository(t, [{ name: 'tiny-cnn', from: 'tiny-cnn' }]);
  const { app } = await startBridgeFixture(t, { tokenFile }, { modelsDir: repo, workers: 1 });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const body = (): FormData => form({ model: { name: 'cats.onnx', data: buildYolov8LayoutModel() } });
  const anonymous = await fetch(`${address}/api/model-uploads`, { method: 'POST', body: body() });
  assert.equal(anonymous.status, 401);
  const refused = await fetch(`${address}/api/model-uploads`, { method: 'POST', body: body(), headers: bearer(viewer) });
  assert.equal(refused.status, 403);
  const allowed = await fetch(`${address}/api/model-uploads`, { method: 'POST', body: body(), headers: bearer(admin) });
  assert.equal(allowed.status, 200, await allowed.text());
});
