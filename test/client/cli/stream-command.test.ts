import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { resolveFfmpegPath } from '../../../client/sources/ffmpeg-binary.js';
import type { StreamSummary } from '../../../client/cli/stream/stream-summary.js';
import { solidPng } from '../../helpers/images.js';
import { startTestServer } from '../../helpers/test-server.js';
import { jsonLines, sluice, spawnSluice } from './run-cli.js';

interface Line {
  id: string;
  frame: number;
  sequence: number;
  model: string;
  latencyMs: number;
  prediction?: { classes?: { label: string }[]; detections?: unknown[] };
  error?: { code: number; message: string };
  dropped?: object;
}

const FRAMES = 20;

test('sluice stream', async (t) => {
  const { address, client } = await startTestServer(t);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-stream-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const video = join(dir, 'clip.mp4');
  await promisify(execFile)(resolveFfmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '2', '-pix_fmt', 'yuv420p', video]);
  const run = (...args: string[]) => sluice(['--server', address, 'stream', ...args]);

  await t.test('a video through tiny-cnn: every frame answered, in order, in --out', async () => {
    const out = join(dir, 'video.jsonl');
    const result = await run(video, '--model', 'tiny-cnn', '--out', out);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^frames +${FRAMES} sent, ${FRAMES} answered: ${FRAMES} predicted, 0 dropped by the server, 0 errors; 0 dropped by the client$`, 'm'));
    assert.match(result.stdout, /^latency +p50 [\d.]+ ms +p90 [\d.]+ ms +p99 [\d.]+ ms/m);
    const lines = jsonLines<Line>(await readFile(out, 'utf8'));
    assert.deepEqual(lines.map((l) => l.id), Array.from({ length: FRAMES }, (_, i) => String(i)));
    assert.deepEqual(lines.map((l) => l.sequence), Array.from({ length: FRAMES }, (_, i) => i));
    for (const line of lines) {
      assert.equal(line.model, 'tiny-cnn');
      assert.equal(line.prediction?.classes?.length, 3);
      assert.ok(line.latencyMs > 0);
    }
  });

  await t.test('a video through ppocr-det as raw RGB pixels, paced at its own rate, with a JSON summary', async () => {
    const started = performance.now();
    const result = await run(video, '-m', 'ppocr-det', '--encode', 'raw', '--resize', '160x120', '--fps', 'source', '--limit', '10', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as StreamSummary;
    assert.deepEqual(summary.frames, { sent: 10, answered: 10, predictions: 10, droppedByServer: 0, droppedByClient: 0, errors: 0, skipped: 0 });
    assert.equal(summary.source, video);
    assert.equal(summary.model, 'ppocr-det');
    assert.equal(summary.interrupted, false);
    assert.deepEqual(summary.errorsByCode, {});
    // 10 frames at 10 fps take 0.9 s of pacing.
    assert.ok(summary.elapsedMs >= 880, `elapsed ${summary.elapsedMs} ms`);
    assert.ok(performance.now() - started >= 880);
    assert.ok(summary.fps > 4 && summary.fps < 12, `fps ${summary.fps}`);
    const l = summary.latencyMs;
    assert.ok(l !== null && l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
  });

  await t.test('the camera path: the same decoder with capture input arguments, here on a file', async () => {
    const out = join(dir, 'camera.jsonl');
    const result = await run(`camera:${video}`, '--input-format', 'mov', '-m', 'tiny-cnn', '--out', out, '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as StreamSummary;
    assert.equal(summary.source, `camera ${video} (mov)`);
    assert.equal(summary.frames.predictions, FRAMES);
    assert.deepEqual(jsonLines<Line>(await readFile(out, 'utf8')).map((l) => l.frame), Array.from({ length: FRAMES }, (_, i) => i));
  });

  await t.test('a folder of images, in natural order', async () => {
    const images = join(dir, 'images');
    await mkdir(images);
    await writeFile(join(images, '10.png'), await solidPng(40, 30, [20, 20, 230]));
    await writeFile(join(images, '2.png'), await solidPng(40, 30, [20, 220, 20]));
    await writeFile(join(images, '1.png'), await solidPng(40, 30, [230, 20, 20]));
    const out = join(dir, 'images.jsonl');
    const result = await run(images, '-m', 'tiny-cnn', '--out', out);
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines<Line>(await readFile(out, 'utf8'));
    assert.deepEqual(lines.map((l) => [l.id, l.prediction?.classes?.[0]?.label]), [
      [join(images, '1.png'), 'red'],
      [join(images, '2.png'), 'green'],
      [join(images, '10.png'), 'blue'],
    ]);

    // The same frames stacked into tensors by the client.
    const batched = join(dir, 'batched.jsonl');
    const client = await run(images, '-m', 'tiny-cnn', '--client-batch', '1', '--out', batched);
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(jsonLines<Line>(await readFile(batched, 'utf8')).map((l) => l.prediction?.classes?.[0]?.label), ['red', 'green', 'blue']);
  });

  await t.test(
    '--client-batch 3: frames stacked into tensor requests and split back per frame',
    async () => {
      const images = join(dir, 'images');
      const out = join(dir, 'batched3.jsonl');
      const result = await run(images, '-m', 'tiny-cnn', '--client-batch', '3', '--out', out);
      assert.equal(result.code, 0, result.stderr);
      const lines = jsonLines<Line>(await readFile(out, 'utf8'));
      assert.deepEqual(lines.map((l) => l.prediction?.classes?.[0]?.label), ['red', 'green', 'blue']);
    },
  );

  await t.test('synthetic frames with --limit: ppocr-det finds the rendered text', async () => {
    const out = join(dir, 'synthetic.jsonl');
    const result = await run('synthetic:480x270@30', '-m', 'ppocr-det', '--limit', '6', '--fps', 'max', '--out', out, '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as StreamSummary;
    assert.equal(summary.source, 'synthetic 480x270 at 30 fps');
    assert.deepEqual([summary.frames.sent, summary.frames.predictions], [6, 6]);
    const lines = jsonLines<Line>(await readFile(out, 'utf8'));
    assert.equal(lines.length, 6);
    for (const line of lines) assert.ok((line.prediction?.detections?.length ?? 0) >= 1, JSON.stringify(line));
  });

  await t.test('synthetic frames through the ocr pipeline: the moving line is read, the upside-down one turned and read', async () => {
    const out = join(dir, 'ocr.jsonl');
    const result = await run('synthetic:640x360@30', '-m', 'ocr', '--limit', '3', '--fps', 'max', '--out', out);
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines<Line>(await readFile(out, 'utf8'));
    assert.equal(lines.length, 3);
    for (const line of lines) {
      const read = (line.prediction?.detections ?? []).map((d) => d as { text?: string; label?: string });
      const texts = read.map((d) => d.text ?? '');
      assert.ok(texts.some((text) => /Sluice\s*frame/.test(text)), JSON.stringify(texts));
      assert.ok(read.some((d) => d.label === '180' && /upside\s*down/.test(d.text ?? '')), JSON.stringify(read));
      assert.ok(read.filter((d) => /Sluice\s*frame/.test(d.text ?? '')).every((d) => d.label === '0'), 'the upright line is not turned');
    }
  });

  await t.test('--publish: a watcher sees the stream live, with display images', async () => {
    const running = run('synthetic:320x180@8', '-m', 'tiny-cnn', '--limit', '16', '--publish', 'cli-cam', '--json');
    let sessions: string[] = [];
    for (let i = 0; i < 100 && !sessions.includes('cli-cam'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sessions = (await client.listSessions()).sessions.map((s) => s.name);
    }
    assert.ok(sessions.includes('cli-cam'), 'the stream is listed while it runs');
    const images: number[] = [];
    for await (const event of client.watch('cli-cam', { maxWidth: 160 })) if (event.jpeg.length > 0) images.push(event.width);
    assert.ok(images.length >= 3, `watched ${images.length} frames with images`);
    assert.ok(images.every((w) => w === 160));
    assert.equal((await running).code, 0);
  });

  await t.test('drop-oldest on a source faster than the model: the client sends only fresh frames and counts the rest', async () => {
    const out = join(dir, 'dropped.jsonl');
    const produced = 120;
    // 60 frames a second for 2 s into ppocr-det (tens of ms a frame) through a window of one.
    const result = await run('synthetic:640x360@60', '-m', 'ppocr-det', '--limit', String(produced), '--drop-policy', 'drop-oldest', '--window', '1', '--out', out, '--json');
    assert.equal(result.code, 0, result.stderr);
    const { frames, latencyMs } = JSON.parse(result.stdout) as StreamSummary;
    // Latency against the model's time is a benchmark target (npm run bench -- --only live-jpeg), not a test's.
    t.diagnostic(JSON.stringify({ frames, latencyMs }));
    assert.equal(frames.sent + frames.droppedByClient, produced, 'every frame read is sent or dropped by the client');
    assert.equal(frames.answered, frames.sent, 'every frame sent is answered');
    assert.equal(frames.predictions + frames.droppedByServer + frames.errors, frames.answered);
    assert.ok(frames.droppedByClient > 0, 'the model cannot keep up with 60 frames a second');
    assert.ok(frames.sent >= 3, `only ${frames.sent} frames sent`);
    const lines = jsonLines<Line>(await readFile(out, 'utf8'));
    assert.equal(lines.length, frames.sent);
    assert.equal(lines.filter((l) => l.dropped !== undefined).length, frames.droppedByServer);
    // The freshest frame when there was room: later and later frames, the last one always among them.
    assert.ok(lines.every((l, i) => i === 0 || l.frame > (lines[i - 1] as Line).frame), lines.map((l) => l.frame).join(' '));
    assert.equal(lines.at(-1)?.frame, produced - 1);
  });

  await t.test('drop-oldest on a source slower than the model drops nothing', async () => {
    const result = await run('synthetic:320x180@10', '-m', 'tiny-cnn', '--limit', '10', '--drop-policy', 'drop-oldest', '--window', '2', '--json');
    assert.equal(result.code, 0, result.stderr);
    const { frames } = JSON.parse(result.stdout) as StreamSummary;
    assert.deepEqual(frames, { sent: 10, answered: 10, predictions: 10, droppedByServer: 0, droppedByClient: 0, errors: 0, skipped: 0 });
  });

  await t.test('Ctrl-C stops cleanly with the summary so far and exit code 130', async () => {
    const out = join(dir, 'interrupted.jsonl');
    const { child, done } = spawnSluice(['--server', address, 'stream', 'synthetic:160x90@20', '-m', 'tiny-cnn', '--out', out, '--json']);
    for (let i = 0; i < 200; i++) {
      const size = await stat(out).then((s) => s.size, () => 0);
      if (size > 0) break;
      await sleep(50);
    }
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    const summary = JSON.parse(result.stdout) as StreamSummary;
    assert.equal(summary.interrupted, true);
    assert.ok(summary.frames.predictions >= 1);
    assert.equal(result.stderr, '');
  });

  await t.test('failures are one line on stderr with a non-zero exit', async () => {
    const oneLine = (result: { stderr: string }): string => {
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      return result.stderr.trim();
    };
    const corrupt = join(dir, 'corrupt.mp4');
    await writeFile(corrupt, Buffer.alloc(4096, 0x42));
    const notAnImage = join(dir, 'not-an-image');
    await mkdir(notAnImage);
    await writeFile(join(notAnImage, 'a.png'), 'hello');
    // Independent runs, started together to keep the test short.
    const [unknown, missing, broken, noFfmpeg, tensors, undecodable, badFps, unreachable] = await Promise.all([
      run('synthetic:', '-m', 'nope', '--limit', '1'),
      run(join(dir, 'no-such-dir'), '-m', 'tiny-cnn'),
      run(corrupt, '-m', 'tiny-cnn'),
      sluice(['--server', address, 'stream', video, '-m', 'tiny-cnn'], { FFMPEG_PATH: join(dir, 'no-ffmpeg') }),
      run('synthetic:', '-m', 'add', '--limit', '1'),
      run(notAnImage, '-m', 'tiny-cnn'),
      run('synthetic:', '-m', 'tiny-cnn', '--fps', 'fast'),
      sluice(['--server', '127.0.0.1:1', '--timeout', '500', 'stream', 'synthetic:', '-m', 'tiny-cnn']),
    ]);
    assert.equal(unknown.code, 1);
    assert.equal(oneLine(unknown), 'sluice: NOT_FOUND: model "nope" is not in the repository');
    assert.equal(missing.code, 1);
    assert.equal(oneLine(missing), `sluice: cannot read ${join(dir, 'no-such-dir')}: ENOENT`);
    assert.equal(broken.code, 1);
    assert.match(oneLine(broken), /^sluice: ffmpeg exited with code \d+ reading .*corrupt\.mp4: .*Invalid data found when processing input$/);
    assert.equal(broken.stdout, '');
    assert.equal(noFfmpeg.code, 1);
    assert.equal(oneLine(noFfmpeg), `sluice: cannot run ffmpeg (${join(dir, 'no-ffmpeg')}: ENOENT); install it or set FFMPEG_PATH`);
    assert.equal(oneLine(tensors), 'sluice: model add takes tensors (a, b), not images');
    assert.equal(undecodable.code, 1);
    assert.match(oneLine(undecodable), /^sluice: cannot decode .*a\.png: /);
    assert.equal(oneLine(badFps), 'sluice: --fps must be a rate above 0 (frames per second), "source" or "max", got "fast"');
    assert.equal(unreachable.code, 2);
    assert.equal(oneLine(unreachable), 'sluice: cannot reach a Sluice server at 127.0.0.1:1 (set --server or SLUICE_SERVER; --tls if it serves TLS)');
  });
});
