/**
 * A model brought from the browser, in Debian's chromium: an admin uploads the known-answer
 * YOLOv8-layout detector and its labels through the viewer's "Add a model" panel, the page shows
 * the configuration the server inferred (a detector, letterboxed), selects the new model, and the
 * synthetic source's frames come back with its boxes and labels drawn; the batch page lists it
 * too. A broken file is refused with the server's reason and leaves the model list as it was.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { buildYolov8LayoutModel, YOLOV8_EXPECTED_DETECTIONS, YOLOV8_LABELS } from '../../models/tiny/yolov8-layout-model.js';
import { startBridge } from '../../web-bridge/index.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { tempRepository } from '../helpers/model-repo.js';
import { startTestServer } from '../helpers/test-server.js';
import { type TestUser, writeTokenFile } from './bridge-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** What the page functions below see (they run in the browser, typed here without the DOM lib). */
declare const window: { readonly __sluiceViewer?: HookSnapshot };

/** `window.__sluiceViewer`, the viewer's test hook (web-bridge/viewer/test-hook.ts). */
interface HookSnapshot {
  connected: boolean;
  mode: string;
  predictions: number;
  lastDetections: number;
  errors: number;
  lastError: string;
  uploads: number;
  uploadsRefused: number;
  lastUploadError: string;
}

const admin: TestUser = { name: 'ops', token: 'ops-token-0123456789ab', roles: ['infer', 'watch', 'admin'] };

test('an admin uploads a detector from the page, sees its inferred configuration and streams to it at once', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'sluice-upload-e2e-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const detector = join(work, 'cats.onnx');
  const labels = join(work, 'names.txt');
  const broken = join(work, 'broken.onnx');
  await Promise.all([
    writeFile(detector, buildYolov8LayoutModel()),
    writeFile(labels, `${YOLOV8_LABELS.join('\n')}\n`),
    writeFile(broken, 'not a model'),
  ]);
  const publicDir = await buildViewer({ outdir: join(work, 'public') });
  // A repository of its own, for the uploads to go to; the server takes no tokens and lets the bridge, on loopback, push.
  const repo = await tempRepository(t, [{ name: 'tiny-cnn', from: 'tiny-cnn' }]);
  const { address, client } = await startTestServer(t, { modelsDir: repo, workers: 1 });
  const bridge = await startBridge({ server: address, host: '127.0.0.1', port: 0, publicDir, tokenFile: await writeTokenFile(t, [admin]) });
  t.after(() => bridge.close());
  const base = `http://127.0.0.1:${bridge.port}`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const hook = (): Promise<HookSnapshot> => page.evaluate(() => ({ ...(window.__sluiceViewer as HookSnapshot) }));

  await page.goto(`${base}/?token=${admin.token}`);
  await page.waitForFunction(() => window.__sluiceViewer?.connected === true);
  await page.waitForSelector('#model-select option[value="tiny-cnn"]', { state: 'attached' });

  // The upload: the ONNX file and labels, the name left to default to the file's.
  await page.click('#model-upload summary');
  await page.setInputFiles('#upload-onnx', detector);
  await page.setInputFiles('#upload-labels', labels);
  assert.equal(await page.getAttribute('#upload-name', 'placeholder'), 'cats');
  await page.click('#upload-button');
  await page.waitForFunction(() => (window.__sluiceViewer?.uploads ?? 0) + (window.__sluiceViewer?.uploadsRefused ?? 0) > 0, undefined, { timeout: 15_000 });
  const uploaded = await hook();
  assert.equal(uploaded.uploads, 1, `refused: ${uploaded.lastUploadError}: ${(await page.textContent('#upload-message')) ?? ''}`);

  // The completed configuration, with what was inferred and why.
  const row = async (setting: string): Promise<string> => (await page.textContent(`#upload-result tr[data-setting="${setting}"]`)) ?? '';
  assert.match(await row('postprocessor'), /detection.*inferred/);
  assert.match(await row('postprocessor-layout'), /YOLOv8/);
  assert.match(await row('resize'), /letterbox.*inferred/);
  assert.match(await row('size'), /640 × 640/);
  assert.match(await row('labels'), /3 \(cat, dog, bird\)/);
  const reason = await page.getAttribute('#upload-result tr[data-setting="resize"] .origin', 'title');
  assert.ok((reason ?? '') !== '', 'an inferred value says why in its tooltip');
  assert.equal(await page.locator('#upload-result .upload-json pre').count(), 1);

  // Listed and selected: Start sends to it, and its boxes come back drawn with their labels.
  assert.equal(await page.inputValue('#model-select'), 'cats');
  await page.selectOption('#source-kind', 'synthetic');
  await page.fill('#fps-input', '5');
  await page.click('#start-button');
  const expected = YOLOV8_EXPECTED_DETECTIONS.length;
  await page.waitForFunction((n) => (window.__sluiceViewer?.predictions ?? 0) >= 2 && window.__sluiceViewer?.lastDetections === n, expected, { timeout: 15_000 });
  assert.equal(Number(await page.getAttribute('#frame-canvas', 'data-detections')), expected);
  const listed = (await page.locator('#texts li').allTextContents()).map((line) => line.split(' ')[0]);
  assert.deepEqual(listed, YOLOV8_EXPECTED_DETECTIONS.map((d) => YOLOV8_LABELS[d.classIndex]));
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-upload.png'), fullPage: true });
  await page.click('#stop-button');
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'idle', undefined, { timeout: 10_000 });

  // A broken file: the server's refusal shown, nothing listed or served anew.
  const before = await page.locator('#model-select option').allTextContents();
  await page.setInputFiles('#upload-onnx', broken);
  await page.setInputFiles('#upload-labels', []);
  await page.click('#upload-button');
  await page.waitForFunction(() => (window.__sluiceViewer?.uploadsRefused ?? 0) > 0, undefined, { timeout: 15_000 });
  assert.equal((await hook()).lastUploadError, '422 UPSTREAM_ERROR');
  assert.equal(await page.getAttribute('#upload-message', 'class'), 'error');
  assert.match((await page.textContent('#upload-message')) ?? '', /^Not served \(HTTP 422\): ./);
  assert.equal(await page.isVisible('#upload-result'), false, 'the configuration of the earlier upload is hidden');
  await page.locator('#model-upload').screenshot({ path: join(ARTIFACTS, 'viewer-upload-refused.png') });
  assert.deepEqual(await page.locator('#model-select option').allTextContents(), before);
  assert.deepEqual((await client.listModels()).models.map((m) => m.name).sort(), ['cats', 'tiny-cnn']);

  // The batch page lists the new model on load.
  const batch = await page.context().newPage();
  batch.on('pageerror', (err) => pageErrors.push(`batch: ${err.message}`));
  await batch.goto(`${base}/batch.html`);
  await batch.waitForSelector('#model-select option[value="cats"]', { state: 'attached', timeout: 10_000 });

  const final = await hook();
  assert.equal(final.errors, 0, `viewer errors: ${final.lastError}`);
  assert.deepEqual(pageErrors, []);
});
