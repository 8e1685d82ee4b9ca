/**
 * The viewer behind tokens, over HTTPS, in Debian's chromium: a token in the address becomes a
 * cookie and leaves the address, the page and its WebSocket work with the cookie, and a stream
 * published with "Private" is listed to its publisher and to no other user.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium } from 'playwright-core';
import { startBridge } from '../../web-bridge/index.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { createTestCertificates } from '../helpers/test-certificates.js';
import { startTestServer } from '../helpers/test-server.js';
import { type TestUser, writeTokenFile } from './bridge-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** What the page functions below see (they run in the browser, typed here without the DOM lib). */
declare const window: { readonly __sluiceViewer?: { connected: boolean; mode: string; session: string; predictions: number; errors: number; lastError: string } };

const alice: TestUser = { name: 'alice', token: 'alice-token-0123456789', roles: ['infer', 'watch'] };
const bob: TestUser = { name: 'bob', token: 'bob-token-0123456789', roles: ['infer', 'watch'] };

test('a token in the address becomes a Secure cookie, and a private stream is listed to its publisher only', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'sluice-viewer-access-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const publicDir = await buildViewer({ outdir: join(work, 'public') });
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t);
  const bridge = await startBridge({
    server: address,
    port: 0,
    publicDir,
    tlsCert: certs.server.certPath,
    tlsKey: certs.server.keyPath,
    tokenFile: await writeTokenFile(t, [alice, bob]),
  });
  t.after(() => bridge.close());
  const base = `https://localhost:${bridge.port}`;

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  // The test CA is not the system's: this browser trusts the bridge's certificate as a user who accepted it would.
  const userContext = () => browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];

  // Without a token: the page says how to pass one.
  const stranger = await (await userContext()).newPage();
  const refused = await stranger.goto(base);
  assert.equal(refused?.status(), 401);
  assert.match((await stranger.textContent('body')) ?? '', /\?token=/);

  const aliceContext = await userContext();
  const page = await aliceContext.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${base}/?token=${alice.token}`);
  assert.equal(page.url(), `${base}/`, 'the token left the address');
  const [cookie] = await aliceContext.cookies(base);
  assert.deepEqual([cookie?.name, cookie?.httpOnly, cookie?.secure, cookie?.sameSite], ['sluice_token', true, true, 'Strict']);
  await page.waitForFunction(() => window.__sluiceViewer?.connected === true);

  await page.waitForSelector('#model-select option[value="ppocr-det"]', { state: 'attached' });
  await page.selectOption('#model-select', 'ppocr-det');
  await page.selectOption('#source-kind', 'synthetic');
  await page.fill('#fps-input', '5');
  await page.check('#private-input');
  await page.click('#start-button');
  await page.waitForFunction(() => (window.__sluiceViewer?.predictions ?? 0) >= 2, undefined, { timeout: 30_000 });
  const session = await page.evaluate(() => window.__sluiceViewer?.session ?? '');
  assert.match(session, /^browser-/);

  // Alice's other tab lists it, marked private.
  const aliceTab = await aliceContext.newPage();
  await aliceTab.goto(base);
  const listed = aliceTab.locator(`#session-select option[value="${session}"]`);
  await listed.waitFor({ state: 'attached', timeout: 10_000 });
  assert.match((await listed.textContent()) ?? '', /\(private\)/);

  // Bob, signed in the same way, never sees it.
  const bobPage = await (await userContext()).newPage();
  bobPage.on('pageerror', (err) => pageErrors.push(`bob: ${err.message}`));
  await bobPage.goto(`${base}/?token=${bob.token}`);
  await bobPage.waitForFunction(() => window.__sluiceViewer?.connected === true);
  // Sessions are polled every two seconds: three polls.
  await sleep(6000);
  assert.equal(await bobPage.locator(`#session-select option[value="${session}"]`).count(), 0);
  assert.equal(await aliceTab.locator(`#session-select option[value="${session}"]`).count(), 1, 'still listed to alice meanwhile');

  await page.click('#stop-button');
  await page.waitForFunction(() => window.__sluiceViewer?.mode === 'idle', undefined, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => window.__sluiceViewer?.errors ?? -1), 0);
  assert.deepEqual(pageErrors, []);
});
