/**
 * The viewer end to end in Debian's chromium: a server, the bridge on port 0, the page's
 * synthetic source streaming to ppocr-det, and overlays drawn from real predictions.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';
import { startBridge } from '../../web-bridge/index.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { startTestServer } from '../helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** What the page functions below see (they run in the browser, typed here without the DOM lib). */
declare const window: { readonly __sluiceViewer?: HookSnapshot };

/** `window.__sluiceViewer`, the viewer's test hook (web-bridge/viewer/test-hook.ts). */
interface HookSnapshot {
  connected: boolean;
  mode: string;
  predictions: number;
  maxDetections: number;
  lastDetections: number;
  chartLength: number;
  framesSent: number;
  errors: number;
  lastError: string;
}

test('the viewer streams its synthetic source to ppocr-det and draws the boxes', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'sluice-viewer-e2e-'));
  // After hooks run in the order they are added: the browser, whose profile is in `work`, must be
  // closed before the folder is removed, or chromium may still be writing its cache.
  let browserContext: BrowserContext | undefined;
  t.after(async () => {
    await browserContext?.close();
    await rm(work, { recursive: true, force: true });
  });
  const publicDir = await buildViewer({ outdir: join(work, 'public') });
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, host: '127.0.0.1', port: 0, publicDir });
  t.after(() => bridge.close());

  const context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  browserContext = context;
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await page.goto(bridge.url);
  await page.waitForFunction(() => window.__sluiceViewer?.connected === true);
  await page.waitForSelector('#model-select option[value="ppocr-det"]', { state: 'attached' });
  await page.selectOption('#model-select', 'ppocr-det');
  await page.selectOption('#source-kind', 'synthetic');
  await page.fill('#window-input', '2');
  await page.fill('#fps-input', '8');
  await page.click('#start-button');

  // Real predictions drawn with boxes on the canvas.
  await page.waitForFunction(() => (window.__sluiceViewer?.predictions ?? 0) >= 5 && (window.__sluiceViewer?.maxDetections ?? 0) > 0, undefined, { timeout: 30_000 });
  const hook = (): Promise<HookSnapshot> => page.evaluate(() => ({ ...(window.__sluiceViewer as HookSnapshot) }));
  const first = await hook();
  assert.equal(first.mode, 'source');
  assert.equal(first.errors, 0, `viewer errors: ${first.lastError}`);
  const drawn = Number(await page.getAttribute('#frame-canvas', 'data-detections'));
  assert.ok(drawn > 0, `data-detections is ${drawn}`);

  // The chart keeps growing while frames flow.
  await page.waitForFunction((n) => (window.__sluiceViewer?.chartLength ?? 0) > n + 1, first.chartLength, { timeout: 10_000 });
  const later = await hook();
  assert.ok(later.predictions > first.predictions, 'predictions keep coming');
  assert.ok(later.framesSent > first.framesSent, 'frames keep being sent');
  assert.match((await page.textContent('#stats-line')) ?? '', /FPS/);

  // The published stream is listed for other viewers.
  await page.locator('#session-select option[value^="browser-"]').first().waitFor({ state: 'attached', timeout: 10_000 });

  // A second tab watches that stream through the bridge: display JPEGs with the same overlays.
  const watcher = await context.newPage();
  watcher.on('pageerror', (err) => pageErrors.push(`watcher: ${err.message}`));
  await watcher.goto(bridge.url);
  const published = watcher.locator('#session-select option[value^="browser-"]').first();
  await published.waitFor({ state: 'attached', timeout: 10_000 });
  await watcher.selectOption('#session-select', (await published.getAttribute('value')) ?? '');
  await watcher.click('#watch-button');
  await watcher.waitForFunction(() => window.__sluiceViewer?.mode === 'watch' && (window.__sluiceViewer.predictions ?? 0) >= 2 && window.__sluiceViewer.maxDetections > 0, undefined, { timeout: 20_000 });
  await watcher.close();

  // Clicking the frame shows where its time went.
  await page.click('#frame-canvas');
  const timings = (await page.textContent('#timing-panel')) ?? '';
  for (const stage of ['queue', 'preprocess', 'inference', 'postprocess', 'total', 'batch size']) assert.match(timings, new RegExp(stage));

  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'viewer.png'), fullPage: true });

  await page.click('#stop-button');
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'idle', undefined, { timeout: 15_000 });
  assert.deepEqual(pageErrors, []);
});
