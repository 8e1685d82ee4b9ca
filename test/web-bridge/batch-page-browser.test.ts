/**
 * The batch evaluation page end to end in Debian's chromium: a server, the bridge on port 0 with
 * the shipped `colours` dataset, tiny-cnn over a filtered slice of it. The page's figures must be
 * `sluice batch`'s on the same images (one implementation of the metrics), the threshold slider
 * must recompute without a message or a request, files dropped on the page are a dataset too,
 * and Cancel stops a run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { type BrowserContext, chromium } from 'playwright-core';
import { parseCsv } from '../../client/cli/batch/csv.js';
import { writeColoursDataset } from '../../eval/datasets/colours-dataset.js';
import { buildViewer } from '../../web-bridge/build/build-viewer.js';
import { startBridge } from '../../web-bridge/index.js';
import { CLI, REPO_ROOT } from '../helpers/server-process.js';
import { startTestServer } from '../helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
/** The shipped datasets, once `npm run datasets` has written them. */
const SHIPPED_DATASETS = join(REPO_ROOT, 'eval', 'datasets');
/** The run compared with `sluice batch`: an energy bin, and a limit. */
const ENERGY_TO = 60;
const LIMIT = 120;
const POSITIVE = 'red';

/** What the page functions below see (they run in the browser, typed here without the DOM lib). */
declare const window: { readonly __sluiceBatch?: Hook };
declare const document: { getElementById(id: string): { click(): void } | null };

/** `window.__sluiceBatch` (web-bridge/viewer/batch/batch-test-hook.ts). */
interface Hook {
  connected: boolean;
  ready: boolean;
  state: string;
  endReason: string;
  dataset: string;
  matching: number;
  total: number;
  paths: string[];
  results: number;
  framesSent: number;
  accuracy: number | null;
  confusion: { labels: string[]; matrix: number[][] } | null;
  positive: string;
  threshold: number;
  auc: number | null;
  binary: { truePositives: number; falsePositives: number; trueNegatives: number; falseNegatives: number } | null;
  charts: { roc: number; pr: number; histogram: number; confusion: number; histogramLog: boolean };
  classification: boolean;
  samplesShown: number;
  errors: number;
  lastError: string;
}

interface CliSummary {
  accuracy: number;
  confusion: { labels: string[]; matrix: number[][] };
  binary: { positive: string; threshold: number; truePositives: number; falsePositives: number; trueNegatives: number; falseNegatives: number; rocAuc: number };
}

const round6 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e6) / 1e6);

test('the batch page evaluates tiny-cnn on colours as sluice batch does', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: apt-get install chromium` }, async (t) => {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'sluice-batch-page-'));
  // After hooks run in the order they are added: the browser, whose profile is in `work`, must be
  // closed before the folder is removed, or chromium may still be writing its cache.
  let browserContext: BrowserContext | undefined;
  t.after(async () => {
    await browserContext?.close();
    await rm(work, { recursive: true, force: true });
  });
  // The shipped dataset when `npm run datasets` has written it; otherwise the same images, made here.
  let datasets = SHIPPED_DATASETS;
  if (!existsSync(join(SHIPPED_DATASETS, 'colours', 'labels.csv'))) {
    datasets = join(work, 'datasets');
    await writeColoursDataset(join(datasets, 'colours'));
  }
  const publicDir = await buildViewer({ outdir: join(work, 'public') });
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, host: '127.0.0.1', port: 0, publicDir, datasets });
  t.after(() => bridge.close());

  const context = await chromium.launchPersistentContext(join(work, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  browserContext = context;
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  let framesSent = 0;
  let framesReceived = 0;
  page.on('websocket', (ws) => {
    ws.on('framesent', () => framesSent++);
    ws.on('framereceived', () => framesReceived++);
  });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const hook = (): Promise<Hook> => page.evaluate(() => JSON.parse(JSON.stringify(window.__sluiceBatch)) as Hook);

  await page.goto(`${bridge.url}/batch.html?model=tiny-cnn&dataset=colours`);
  await page.waitForFunction(() => window.__sluiceBatch?.connected === true && window.__sluiceBatch.ready && window.__sluiceBatch.matching > 0, undefined, { timeout: 15_000 });
  assert.equal(await page.inputValue('#model-select'), 'tiny-cnn');
  assert.equal(await page.inputValue('#dataset-select'), 'colours');

  // An energy bin and a limit; the URL keeps the model and the dataset.
  await page.fill('input[data-column="energy"][data-bound="to"]', String(ENERGY_TO));
  await page.fill('#limit-input', String(LIMIT));
  await page.fill('#samples-input', '12');
  const url = new URL(page.url());
  assert.deepEqual([url.searchParams.get('model'), url.searchParams.get('dataset')], ['tiny-cnn', 'colours']);

  const runStarted = performance.now();
  await page.click('#run-button');
  await page.waitForFunction(() => window.__sluiceBatch?.state === 'ended', undefined, { timeout: 60_000 });
  await page.selectOption('#positive-select', POSITIVE);
  await page.waitForFunction((p) => window.__sluiceBatch?.positive === p, POSITIVE);
  const run = await hook();
  const runMs = performance.now() - runStarted;
  assert.equal(run.endReason, 'done', run.lastError);
  assert.equal(run.errors, 0, run.lastError);

  // The images are the filter's and the limit's, in the dataset's order.
  const { items } = (await (await fetch(`${bridge.url}/api/datasets/colours/items`)).json()) as { items: { path: string; label: string; metadata: { energy: number } }[] };
  const chosen = items.filter((i) => i.metadata.energy <= ENERGY_TO).slice(0, LIMIT);
  assert.deepEqual(run.paths, chosen.map((i) => i.path));
  assert.equal(run.results, chosen.length);

  // Charts drawn: every curve point, every labelled score, a 3x3 matrix, the samples.
  assert.ok(run.classification);
  assert.ok(run.charts.roc > 2 && run.charts.pr > 1, `ROC ${run.charts.roc} points, PR ${run.charts.pr}`);
  assert.equal(run.charts.histogram, chosen.length);
  assert.equal(run.charts.confusion, 9);
  assert.equal(run.samplesShown, 12);
  for (const id of ['roc-chart', 'pr-chart', 'histogram-chart']) assert.equal(await page.locator(`#${id} canvas`).count(), 1, id);
  assert.equal(await page.locator('#confusion-matrix svg').count(), 1);

  // sluice batch on the same images, with the same labels, positive class and threshold.
  const cliDir = join(work, 'cli');
  const datasetDir = join(datasets, 'colours');
  for (const item of chosen) {
    await mkdir(dirname(join(cliDir, item.path)), { recursive: true });
    await copyFile(join(datasetDir, item.path), join(cliDir, item.path));
  }
  await writeFile(join(cliDir, 'labels.csv'), `path,label\n${chosen.map((i) => `${i.path},${i.label}`).join('\n')}\n`);
  const cliStarted = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, '--server', address, 'batch', cliDir, '-m', 'tiny-cnn', '--labels', join(cliDir, 'labels.csv'), '--positive', POSITIVE, '--threshold', '0.5', '--out', join(work, 'cli.csv'), '--json', '--quiet'], { cwd: REPO_ROOT });
  const cliMs = performance.now() - cliStarted;
  const cli = JSON.parse(stdout) as CliSummary;
  assert.equal(round6(run.accuracy), cli.accuracy);
  assert.deepEqual(run.confusion, cli.confusion);
  assert.equal(round6(run.auc), cli.binary.rocAuc);
  const b = run.binary;
  assert.ok(b !== null);
  assert.deepEqual([b.truePositives, b.falsePositives, b.trueNegatives, b.falseNegatives], [cli.binary.truePositives, cli.binary.falsePositives, cli.binary.trueNegatives, cli.binary.falseNegatives]);
  assert.ok(cli.accuracy < 1 && cli.accuracy > 0.5, `accuracy ${cli.accuracy}: the slice should hold some hard images`);

  // The CSV export is sluice batch's table, image for image (paths aside: the CLI's are files).
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const pageCsv = parseCsv(await readFile((await csvDownload.path()) ?? '', 'utf8'));
  const cliCsv = parseCsv(await readFile(join(work, 'cli.csv'), 'utf8'));
  const withoutPathAndLatency = (rows: string[][]): string[][] => rows.map((r) => [...r.slice(1, -1)]);
  assert.deepEqual(pageCsv[0], cliCsv[0]);
  assert.deepEqual(withoutPathAndLatency(pageCsv), withoutPathAndLatency(cliCsv));
  const [jsonlDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-jsonl')]);
  const lines = (await readFile((await jsonlDownload.path()) ?? '', 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(lines.length, chosen.length);
  assert.deepEqual(Object.keys(lines[0] ?? {}).slice(0, 9), ['path', 'label', 'predicted', 'score', 'positiveScore', 'id', 'model', 'sequence', 'latencyMs']);
  assert.equal(lines[0]?.['path'], chosen[0]?.path);
  assert.ok(lines.every((line) => typeof line['prediction'] === 'object'));
  const [reportDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-report')]);
  const report = await readFile((await reportDownload.path()) ?? '', 'utf8');
  assert.match(report, /ROC \(AUC/);
  assert.match(report, /aria-label="confusion matrix"/);

  // The threshold slider recomputes from the stored answers: the matrix changes, nothing goes out or comes in.
  await page.waitForTimeout(300);
  const before = { sent: framesSent, received: framesReceived, requests: requests.length };
  await page.fill('#threshold-input', '0.95');
  await page.waitForFunction(() => window.__sluiceBatch?.threshold === 0.95);
  const strict = await hook();
  const sb = strict.binary;
  assert.ok(sb !== null);
  assert.ok(sb.truePositives + sb.falsePositives < b.truePositives + b.falsePositives, 'fewer images called positive at 0.95');
  assert.equal(sb.truePositives + sb.falsePositives + sb.trueNegatives + sb.falseNegatives, chosen.length);
  assert.equal(await page.textContent('#binary-matrix [data-cell="tp"]'), String(sb.truePositives));
  await page.fill('#threshold-input', '0.3');
  await page.waitForFunction(() => window.__sluiceBatch?.threshold === 0.3);
  await page.click('#log-toggle');
  await page.waitForFunction(() => window.__sluiceBatch?.charts.histogramLog === true);
  await page.waitForTimeout(300);
  assert.deepEqual({ sent: framesSent, received: framesReceived, requests: requests.length }, before, 'no message and no request for the threshold');

  // Misclassified images first.
  await page.check('#mistakes-first');
  await page.waitForSelector('#samples figure.sample.wrong');
  assert.ok(await page.locator('#samples figure.sample').first().evaluate((el: { classList: { contains(c: string): boolean } }) => el.classList.contains('wrong')));
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'batch-page.png'), fullPage: true });

  // A folder of class folders picked on the page is a dataset too: labels from the folder names.
  const dropDir = join(work, 'drop', 'picked');
  const dropped = chosen.slice(0, 9);
  for (const [i, item] of dropped.entries()) {
    await mkdir(join(dropDir, item.label), { recursive: true });
    await copyFile(join(datasetDir, item.path), join(dropDir, item.label, `${i}.png`));
  }
  await page.setInputFiles('#folder-input', dropDir);
  await page.waitForFunction((n) => window.__sluiceBatch?.dataset === '(dropped files)' && window.__sluiceBatch.matching === n, dropped.length);
  await page.click('#run-button');
  await page.waitForFunction(() => window.__sluiceBatch?.state === 'ended', undefined, { timeout: 30_000 });
  const upload = await hook();
  assert.equal(upload.endReason, 'done', upload.lastError);
  assert.equal(upload.framesSent, dropped.length);
  assert.equal(upload.results, dropped.length);
  const uploadTotal = upload.confusion?.matrix.flat().reduce((a, n) => a + n, 0);
  assert.equal(uploadTotal, dropped.length, 'every picked image is labelled by its folder');

  // A model that does not classify: the samples show its answers; the classification charts give way to a note.
  await page.selectOption('#dataset-select', 'colours');
  await page.waitForFunction(() => window.__sluiceBatch?.dataset === 'colours' && window.__sluiceBatch.matching > 0);
  await page.selectOption('#model-select', 'tiny-heatmap');
  await page.fill('#limit-input', '6');
  await page.fill('#samples-input', '6');
  await page.click('#run-button');
  await page.waitForFunction(() => window.__sluiceBatch?.state === 'ended', undefined, { timeout: 30_000 });
  const heatmap = await hook();
  assert.equal(heatmap.endReason, 'done', heatmap.lastError);
  assert.equal(heatmap.classification, false);
  assert.equal(heatmap.samplesShown, 6);
  assert.ok(await page.isHidden('#classification'));
  assert.match((await page.textContent('#classification-note')) ?? '', /not classes/);

  // Cancel: the run ends `stopped` and nothing more arrives.
  await page.selectOption('#model-select', 'tiny-cnn');
  await page.fill('input[data-column="energy"][data-bound="to"]', '');
  await page.fill('#limit-input', '');
  await page.fill('#window-input', '1');
  await page.click('#run-button');
  // Cancelled from the page as soon as answers flow, so that a fast machine cannot finish first.
  // (No named functions in page code: tsx would wrap them in a helper the page does not have.)
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if ((window.__sluiceBatch?.results ?? 0) < 3) return;
          clearInterval(timer);
          document.getElementById('cancel-button')?.click();
          resolve();
        }, 1);
      }),
  );
  await page.waitForFunction(() => window.__sluiceBatch?.state === 'ended', undefined, { timeout: 15_000 });
  const cancelled = await hook();
  assert.equal(cancelled.endReason, 'stopped');
  assert.ok(cancelled.results < cancelled.total, `${cancelled.results} of ${cancelled.total} answered before the stop`);
  const receivedAtEnd = framesReceived;
  await page.waitForTimeout(500);
  assert.equal((await hook()).results, cancelled.results, 'no result after ended');
  assert.equal(framesReceived, receivedAtEnd, 'no message after ended');

  assert.deepEqual(pageErrors, []);
  t.diagnostic(`page run ${Math.round(runMs)} ms, sluice batch ${Math.round(cliMs)} ms, whole test ${Math.round(performance.now() - started)} ms`);
});
