import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { solidPng } from '../../helpers/images.js';
import { startTestServer } from '../../helpers/test-server.js';
import { jsonLines, sluice } from './run-cli.js';

interface Summary {
  images: { done: number; sent: number; predictions: number; errors: number };
  errorsByCode: Record<string, number>;
  imagesPerSecond: number;
  latencyMs: { p50: number } | null;
  labelled: number;
  unlabelled: number;
  accuracy?: number;
  confusion?: { labels: string[]; matrix: number[][] };
  binary?: { positive: string; threshold: number; precision: number; recall: number; f1: number; rocAuc: number; averagePrecision: number; truePositives: number; falsePositives: number };
}

const COLOURS = { red: [220, 30, 30], green: [30, 200, 40], blue: [25, 40, 230] } as const;
const PER_CLASS = 4;

test('sluice batch', async (t) => {
  const { address } = await startTestServer(t);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-batch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // root/<class>/<n>.png, in shades of each colour.
  const root = join(dir, 'colours');
  for (const [name, [r, g, b]] of Object.entries(COLOURS)) {
    await mkdir(join(root, name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const shade = (v: number) => Math.min(255, Math.max(0, v + (i - 1) * 15));
      await writeFile(join(root, name, `${i}.png`), await solidPng(48 + i * 8, 40, [shade(r), shade(g), shade(b)]));
    }
  }
  const total = 3 * PER_CLASS;
  const run = (...args: string[]) => sluice(['--server', address, 'batch', ...args]);

  await t.test('folder-per-class labels on tiny-cnn: accuracy 1 and a diagonal confusion matrix', async () => {
    const out = join(dir, 'results.jsonl');
    const result = await run(root, '-m', 'tiny-cnn', '--labels', 'folders', '--concurrency', '4', '--out', out, '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual(summary.images, { done: total, sent: total, predictions: total, errors: 0 });
    assert.equal(summary.accuracy, 1);
    assert.equal(summary.labelled, total);
    assert.deepEqual(summary.confusion, {
      labels: ['red', 'green', 'blue'],
      matrix: [
        [PER_CLASS, 0, 0],
        [0, PER_CLASS, 0],
        [0, 0, PER_CLASS],
      ],
    });
    assert.equal(summary.binary, undefined);
    assert.ok(summary.imagesPerSecond > 0 && (summary.latencyMs?.p50 ?? 0) > 0);
    // Results in file order (natural, per folder), each with its label and prediction.
    const lines = jsonLines<{ path: string; label: string; predicted: string; prediction: { classes: unknown[] } }>(await readFile(out, 'utf8'));
    assert.deepEqual(lines.map((l) => l.path.slice(root.length + 1)), ['blue/0.png', 'blue/1.png', 'blue/2.png', 'blue/3.png', 'green/0.png', 'green/1.png', 'green/2.png', 'green/3.png', 'red/0.png', 'red/1.png', 'red/2.png', 'red/3.png']);
    for (const line of lines) {
      assert.equal(line.predicted, line.label);
      assert.equal(line.prediction.classes.length, 3);
    }
  });

  await t.test('a binary labelling from a CSV: ROC AUC, precision/recall, CSV results and an HTML report', async () => {
    const labels = join(dir, 'is-red.csv');
    const rows = Object.keys(COLOURS).flatMap((name) => Array.from({ length: PER_CLASS }, (_, i) => `colours/${name}/${i}.png,${name === 'red' ? 'red' : 'other'}`));
    await writeFile(labels, `path,label\n${rows.join('\n')}\n`);
    const csv = join(dir, 'results.csv');
    const report = join(dir, 'report.html');
    const result = await run(join(root, '**', '*.png'), '-m', 'tiny-cnn', '--labels', labels, '--positive', 'red', '--threshold', '0.5', '--out', csv, '--report', report);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^binary +"red" against the rest: ROC AUC 1\.000, average precision 1\.000$/m);
    assert.match(result.stdout, /^ +at threshold 0\.5: precision 1\.000, recall 1\.000, F1 1\.000 \(TP 4 FP 0 TN 8 FN 0\)$/m);
    assert.match(result.stdout, /^accuracy +33\.3% \(4 of 12 labelled images\)$/m);

    const table = (await readFile(csv, 'utf8')).trim().split('\n');
    assert.equal(table[0], 'path,label,predicted,score,positive_score,correct,error_code,error,latency_ms');
    assert.equal(table.length, total + 1);
    assert.match(table.find((l) => l.includes('/red/0.png')) ?? '', /,red,red,0\.\d+,0\.\d+,true,,,[\d.]+$/);
    assert.match(table.find((l) => l.includes('/blue/0.png')) ?? '', /,other,blue,0\.\d+,0\.\d+,false,,,[\d.]+$/);

    const html = await readFile(report, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.ok((html.match(/<svg /g) ?? []).length >= 4, 'confusion matrix, ROC, PR and histogram');
    assert.match(html, /ROC \(AUC 1\.000\)/);
    assert.match(html, /Precision \/ recall \(AP 1\.000\)/);
    assert.doesNotMatch(html, /<script|<link|src=|href=/);
  });

  await t.test('one class against the rest as JSON; bad images are counted and the run goes on', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    await writeFile(join(mixed, 'a.png'), await readFile(join(root, 'red', '0.png')));
    await writeFile(join(mixed, 'b.png'), await readFile(join(root, 'green', '0.png')));
    // PNG bytes cut short: sent as they are, the server answers INVALID_ARGUMENT.
    await writeFile(join(mixed, 'c.png'), (await readFile(join(root, 'blue', '0.png'))).subarray(0, 40));
    // Not an image at all: refused before sending.
    await writeFile(join(mixed, 'd.png'), 'not an image');
    const labels = join(mixed, 'labels.csv');
    await writeFile(labels, 'a.png,red\nb.png,green\nc.png,blue\nd.png,blue\n');
    const result = await run(mixed, '-m', 'tiny-cnn', '--labels', labels, '--positive', 'red', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual(summary.images, { done: 4, sent: 3, predictions: 2, errors: 2 });
    assert.deepEqual(summary.errorsByCode, { INVALID_ARGUMENT: 1, UNDECODABLE: 1 });
    assert.equal(summary.accuracy, 1);
    assert.deepEqual([summary.binary?.positive, summary.binary?.rocAuc, summary.binary?.truePositives], ['red', 1, 1]);
  });

  await t.test('failures are one line with a non-zero exit', async () => {
    const [missing, noMatch, unknown, notClassifier, badPositive] = await Promise.all([
      run(join(dir, 'nothing'), '-m', 'tiny-cnn'),
      run(join(root, '*.jpg'), '-m', 'tiny-cnn'),
      run(root, '-m', 'nope'),
      run(root, '-m', 'ppocr-det', '--labels', 'folders'),
      run(root, '-m', 'tiny-cnn', '--labels', 'folders', '--positive', 'purple'),
    ]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), `sluice: cannot read ${join(dir, 'nothing')}: ENOENT`);
    assert.equal(noMatch.stderr.trim(), `sluice: no file matches ${join(root, '*.jpg')}`);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim(), 'sluice: NOT_FOUND: model "nope" is not in the repository');
    assert.equal(notClassifier.stderr.trim(), 'sluice: --labels and --positive need a classification model; ppocr-det answers with textDetection');
    assert.equal(badPositive.stderr.trim(), 'sluice: --positive "purple" is not a class of model tiny-cnn (red, green, blue)');
  });
});
