/**
 * A new user's first minute, in Debian's chromium: what `sluice up` starts (a server, the bridge,
 * the demo stream of rendered text through the `ocr` pipeline published as `demo`) and the URL it
 * prints, opened with no click. The page waits for `demo` while it is not published yet, then
 * shows the demo with overlays, the text read and an upside-down line turned; no console error and
 * no failed request (no /favicon.ico 404); the address follows the pickers and `autostart`
 * resumes sending after a reload; a phone-sized window has no sideways scroll.
 *
 * In one process, with `sluice up`'s own demo (`runDemo`) and the viewer bundled from its sources:
 * `sluice up` serves the bundle that `npm run build:viewer` last made, which may be older than the
 * sources under test.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Page, chromium } from 'playwright-core';
import { DEMO_SESSION, runDemo } from '../../client/cli/commands/up-command.js';
import { startBridge } from '../../web-bridge/index.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { startTestServer } from '../helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** What the page functions below see (they run in the browser, typed here without the DOM lib). */
declare const window: { readonly __sluiceViewer?: HookSnapshot };
declare const document: { readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number } };

/** `window.__sluiceViewer`, the viewer's test hook (web-bridge/viewer/test-hook.ts). */
interface HookSnapshot {
  connected: boolean;
  mode: string;
  session: string;
  predictions: number;
  maxDetections: number;
  chartLength: number;
  errors: number;
  lastError: string;
  emptyState: string;
  lastTexts: { text: string; label: string }[];
}

/** Collects what would show in the console as a problem: errors, failed requests, 4xx and 5xx answers. */
function watchForProblems(page: Page, name: string, problems: string[]): void {
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${name} console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    // A reload or a closing page cancels the sessions poll in flight: not a failure anyone sees.
    const reason = request.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') problems.push(`${name}: ${request.url()} failed: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${name}: ${response.url()} answered ${response.status()}`);
  });
}

const hook = (page: Page): Promise<HookSnapshot> => page.evaluate(() => ({ ...(window.__sluiceViewer as HookSnapshot) }));

test('the printed URL shows the demo live with no click, on a desktop and on a phone', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'sluice-first-minute-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const publicDir = await buildViewer({ outdir: join(work, 'public') });
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, host: '127.0.0.1', port: 0, publicDir });
  t.after(() => bridge.close());
  const printed = `${bridge.url}/?session=${DEMO_SESSION}`;

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchForProblems(page, 'desktop', problems);

  // Opened before the demo publishes: the page says it is waiting for it, by name.
  await page.goto(printed);
  await page.waitForFunction(() => /^Nothing is published as demo yet/.test(window.__sluiceViewer?.emptyState ?? ''), undefined, { timeout: 10_000 });
  assert.match((await page.textContent('#empty-state')) ?? '', /sluice stream <source> -m <model> --publish demo/);
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-waiting.png') });
  await page.setViewportSize({ width: 360, height: 740 });
  // The resize reaches the layout a frame later: wait for it rather than read the old one.
  const fits = await page
    .waitForFunction(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth, undefined, { timeout: 3_000 })
    .then(() => true, () => false);
  const widths360 = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(fits, `the waiting message fits 360 px: ${JSON.stringify(widths360)}`);
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-waiting-360.png') });
  await page.setViewportSize({ width: 1280, height: 900 });

  const stopDemo = new AbortController();
  // What `sluice up` runs (at 2 frames per second rather than 5: the OCR pipeline is the
  // heaviest work of the test suite), started here after the page so that the wait is seen.
  const demo = runDemo(address, {}, 'ocr', 2, stopDemo.signal);
  t.after(async () => {
    stopDemo.abort();
    await demo;
  });
  const demoStarted = performance.now();
  // No click: it starts watching once the demo is listed (sessions are polled every two seconds).
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'watch' && window.__sluiceViewer.predictions >= 2 && window.__sluiceViewer.maxDetections >= 3, undefined, { timeout: 20_000 });
  const firstOverlaysMs = performance.now() - demoStarted;
  t.diagnostic(`overlays ${firstOverlaysMs.toFixed(0)} ms after the demo started`);
  assert.ok(Number(await page.getAttribute('#frame-canvas', 'data-detections')) > 0);
  assert.equal((await hook(page)).emptyState, '', 'the message leaves once frames show');

  // The demo is read: its frame counter upright, and the upside-down line turned (label 180).
  await page.waitForFunction(
    () => {
      const texts = window.__sluiceViewer?.lastTexts ?? [];
      return texts.some((d) => /Sluice\s*frame/i.test(d.text)) && texts.some((d) => d.label === '180' && /upside/i.test(d.text));
    },
    undefined,
    { timeout: 20_000 },
  );
  t.diagnostic(`read: ${JSON.stringify((await hook(page)).lastTexts)}`);
  assert.match((await page.textContent('#texts')) ?? '', /\(read upside down\)/);
  // A few seconds of chart in the picture.
  await page.waitForFunction(() => (window.__sluiceViewer?.chartLength ?? 0) >= 6, undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-first-minute.png'), fullPage: true });

  // A phone, opening the printed URL while the demo runs: live at once, nothing wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  watchForProblems(phone, 'phone', problems);
  const phoneOpened = performance.now();
  await phone.goto(printed);
  await phone.waitForFunction(() => window.__sluiceViewer?.mode === 'watch' && window.__sluiceViewer.maxDetections > 0, undefined, { timeout: 10_000 });
  t.diagnostic(`phone: overlays ${(performance.now() - phoneOpened).toFixed(0)} ms after opening`);
  const widths = await phone.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(widths.scroll <= widths.client, `no sideways scroll on a phone: ${JSON.stringify(widths)}`);
  const canvasBox = await phone.locator('#frame-canvas').boundingBox();
  assert.ok(canvasBox !== null && canvasBox.x >= 0 && canvasBox.x + canvasBox.width <= 390 && canvasBox.width >= 300, `the frame fits the phone: ${JSON.stringify(canvasBox)}`);
  await phone.screenshot({ path: join(ARTIFACTS, 'viewer-phone.png'), fullPage: true });
  await phone.close();

  // The address follows the pickers, without a reload.
  await page.selectOption('#model-select', 'ppocr-det');
  await page.selectOption('#source-kind', 'camera');
  let url = new URL(page.url());
  assert.deepEqual([url.searchParams.get('session'), url.searchParams.get('model'), url.searchParams.get('source')], ['demo', 'ppocr-det', 'camera']);
  assert.equal((await hook(page)).mode, 'watch', 'still watching: choosing what to send starts nothing');

  // Sending from the browser's synthetic source: the address says so, and a reload resumes it.
  await page.selectOption('#source-kind', 'synthetic');
  await page.click('#start-button');
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'source' && window.__sluiceViewer.predictions >= 1, undefined, { timeout: 20_000 });
  url = new URL(page.url());
  assert.deepEqual([url.searchParams.get('session'), url.searchParams.get('model'), url.searchParams.get('source'), url.searchParams.get('autostart')], [null, 'ppocr-det', 'synthetic', '1']);
  await page.reload();
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'source' && window.__sluiceViewer.predictions >= 2 && window.__sluiceViewer.maxDetections > 0, undefined, { timeout: 20_000 });
  assert.equal(await page.inputValue('#model-select'), 'ppocr-det');
  await page.click('#stop-button');
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'idle', undefined, { timeout: 15_000 });
  assert.equal(new URL(page.url()).searchParams.get('autostart'), null, 'stopped: a reload would not start again');
  // Nothing watched now, the demo published: the message offers it.
  await page.waitForFunction(() => window.__sluiceViewer?.emptyState === 'Nothing is being watched', undefined, { timeout: 10_000 });
  assert.equal(await page.textContent('#empty-state button'), 'Watch demo');

  const final = await hook(page);
  assert.equal(final.errors, 0, `viewer errors: ${final.lastError}`);
  assert.deepEqual(problems, []);
  stopDemo.abort();
  await demo;
});
