import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeConfigError, createBridge, resolveBridgeConfig } from '../../web-bridge/index.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { startBridgeFixture } from './bridge-fixture.js';

test('GET /api/models relays ListModels as JSON', async (t) => {
  const { app } = await startBridgeFixture(t);
  const response = await app.inject({ method: 'GET', url: '/api/models' });
  assert.equal(response.statusCode, 200);
  const body = response.json<{ models: { name: string; acceptsImages?: boolean; state?: string }[] }>();
  const names = body.models.map((m) => m.name);
  for (const name of ['ocr', 'ppocr-det', 'tiny-cnn', 'add']) assert.ok(names.includes(name), `${name} missing from ${names.join(', ')}`);
  const det = body.models.find((m) => m.name === 'ppocr-det');
  assert.equal(det?.acceptsImages, true);
  assert.equal(det?.state, 'MODEL_STATE_READY');
  assert.notEqual(body.models.find((m) => m.name === 'add')?.acceptsImages, true);
});

test('GET /api/sessions relays ListSessions, always with a list', async (t) => {
  const { app } = await startBridgeFixture(t);
  const response = await app.inject({ method: 'GET', url: '/api/sessions' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { sessions: [] });
});

test('GET /healthz answers while the bridge runs', async (t) => {
  const { app, address } = await startBridgeFixture(t);
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(response.statusCode, 200);
  const body = response.json<{ status: string; server: string; openCalls: number }>();
  assert.equal(body.status, 'ok');
  assert.equal(body.server, address);
  assert.equal(body.openCalls, 0);
});

test('the API answers 502 with the gRPC status when the server is unreachable', async (t) => {
  // Port 1 on loopback: nothing listens, so the channel fails fast.
  const app = await createBridge({ server: '127.0.0.1:1', upstreamTimeoutMs: 3000 });
  t.after(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/api/models' });
  assert.equal(response.statusCode, 502);
  const body = response.json<{ error: { code: string; grpcCode: number } }>();
  assert.equal(body.error.code, 'UPSTREAM_ERROR');
  assert.equal(typeof body.error.grpcCode, 'number');
});

test('GET / serves the bundled viewer and its assets', async (t) => {
  const publicDir = await mkdtemp(join(tmpdir(), 'sluice-viewer-'));
  t.after(() => rm(publicDir, { recursive: true, force: true }));
  await buildViewer({ outdir: publicDir, minify: false });
  const app = await createBridge({ server: '127.0.0.1:1', publicDir });
  t.after(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /<canvas id="frame-canvas"/);
  const script = await app.inject({ method: 'GET', url: '/viewer.js' });
  assert.equal(script.statusCode, 200);
  assert.match(String(script.headers['content-type']), /javascript/);
  assert.match(script.body, /__sluiceViewer/);
  const css = await app.inject({ method: 'GET', url: '/viewer.css' });
  assert.equal(css.statusCode, 200);
  assert.match(css.body, /\.uplot/, 'uPlot\'s stylesheet is bundled in');
});

test('GET / says how to build the viewer when it is missing', async (t) => {
  const publicDir = await mkdtemp(join(tmpdir(), 'sluice-viewer-empty-'));
  t.after(() => rm(publicDir, { recursive: true, force: true }));
  const app = await createBridge({ server: '127.0.0.1:1', publicDir });
  t.after(() => app.close());
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 503);
  assert.match(page.body, /npm run build:viewer/);
});

test('options are checked once, and errors name the option', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{}, 'options.server'],
    [{ server: 'localhost' }, 'options.server'],
    [{ server: 'localhost:70000' }, 'options.server'],
    [{ server: 'localhost:50051', maxFrameBytes: 0 }, 'options.maxFrameBytes'],
    [{ server: 'localhost:50051', maxSocketBufferBytes: 1.5 }, 'options.maxSocketBufferBytes'],
    [{ server: 'localhost:50051', defaultWindow: 64, maxWindow: 8 }, 'options.defaultWindow'],
    [{ server: 'localhost:50051', publicDir: '' }, 'options.publicDir'],
  ];
  for (const [options, option] of cases) {
    await assert.rejects(
      createBridge(options as never),
      (err: unknown) => err instanceof BridgeConfigError && err.code === 'BRIDGE_INVALID_OPTION' && err.option === option,
      `${JSON.stringify(options)} should be refused naming ${option}`,
    );
  }
  const config = resolveBridgeConfig({ server: 'dns:sluice:50051' });
  assert.ok(Object.isFrozen(config));
  assert.equal(config.server, 'dns:sluice:50051');
  assert.equal(config.defaultWindow, 4);
});
