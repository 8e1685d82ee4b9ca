import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { FfmpegSource } from '../../../client/sources/ffmpeg-source.js';
import { resolveFfmpegPath } from '../../../client/sources/ffmpeg-binary.js';
import type { Frame, FrameSource } from '../../../client/sources/frame.js';
import { openSource } from '../../../client/sources/open-source.js';
import { prepareFrame } from '../../../client/sources/prepare-frame.js';
import { SourceError } from '../../../client/sources/source-error.js';
import { solidPng } from '../../helpers/images.js';

const run = promisify(execFile);

async function collect(source: FrameSource, limit = Infinity): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of source.frames()) {
    frames.push(frame);
    if (frames.length >= limit) break;
  }
  return frames;
}

test('frame sources', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sources-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const video = join(dir, 'clip.mp4');
  await run(resolveFfmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1.5', '-pix_fmt', 'yuv420p', video]);

  await t.test('a video decodes to JPEG frames and to raw RGB frames, at its own rate', async () => {
    const jpeg = await openSource(video);
    const frames = await collect(jpeg);
    assert.equal(frames.length, 15);
    assert.deepEqual(frames.map((f) => f.id), Array.from({ length: 15 }, (_, i) => String(i)));
    assert.equal(jpeg.fps, 10);
    assert.equal(jpeg.live, false);
    const meta = await sharp(frames[7]?.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, frames[7]?.width], ['jpeg', 160, 120, 160]);

    const raw = await collect(await openSource(video, { encoding: 'raw', resize: { width: 80, height: 0 } }));
    assert.equal(raw.length, 15);
    assert.deepEqual([raw[0]?.encoding, raw[0]?.width, raw[0]?.height, raw[0]?.data.length], ['raw', 80, 60, 80 * 60 * 3]);
  });

  await t.test('the camera path runs the same decoder, with capture input arguments', async () => {
    const camera = await openSource(`camera:${video}`, { inputFormat: 'mov' });
    assert.ok(camera instanceof FfmpegSource);
    assert.equal(camera.live, true);
    assert.deepEqual(camera.args.slice(5, 9), ['-f', 'mov', '-i', video]);
    const frames = await collect(camera);
    assert.equal(frames.length, 15);
    assert.equal((await openSource('/dev/video7')).live, true);
    assert.deepEqual(((await openSource('/dev/video7')) as FfmpegSource).args.slice(5, 9), ['-f', 'v4l2', '-i', '/dev/video7']);
  });

  await t.test('leaving the loop early stops ffmpeg', async () => {
    const source = await openSource('testsrc=size=64x48:rate=1000', { inputFormat: 'lavfi' });
    assert.equal((await collect(source, 3)).length, 3);
  });

  await t.test('ffmpeg failures and a missing ffmpeg are SourceErrors with the reason', async () => {
    const corrupt = join(dir, 'corrupt.mp4');
    await writeFile(corrupt, Buffer.alloc(2048, 7));
    await assert.rejects(collect(await openSource(corrupt)), (err: unknown) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.code, 'FFMPEG_FAILED');
      assert.match(err.message, /^ffmpeg exited with code \d+ reading .*corrupt\.mp4: .*Invalid data found/);
      return true;
    });
    const missing = new FfmpegSource({ input: { url: video }, output: { encoding: 'jpeg' }, live: false, ffmpegPath: join(dir, 'no-ffmpeg') });
    await assert.rejects(collect(missing), { code: 'FFMPEG_NOT_FOUND' });
  });

  await t.test('a folder or a glob is read in natural order; a missing one fails', async () => {
    const images = join(dir, 'images');
    await mkdir(join(images, 'sub'), { recursive: true });
    for (const name of ['f10.png', 'f2.png', 'f1.png', 'sub/f3.png', 'notes.txt']) await writeFile(join(images, name), await solidPng(8, 8, [200, 0, 0]));
    const all = await collect(await openSource(images));
    assert.deepEqual(all.map((f) => f.id.slice(images.length + 1)), ['f1.png', 'f2.png', 'f10.png', 'sub/f3.png']);
    assert.equal(all[0]?.encoding, 'png');
    const globbed = await collect(await openSource(join(images, 'f?.png')));
    assert.deepEqual(globbed.map((f) => f.id.slice(images.length + 1)), ['f1.png', 'f2.png']);
    await assert.rejects(openSource(join(dir, 'nothing-here')), { code: 'SOURCE_NOT_FOUND', message: `cannot read ${join(dir, 'nothing-here')}: ENOENT` });
    await assert.rejects(openSource(join(images, '*.gif')), { code: 'SOURCE_NOT_FOUND' });
  });

  await t.test('synthetic frames are rendered at the requested size, rate and encoding', async () => {
    const source = await openSource('synthetic:200x100@25', { encoding: 'raw' });
    assert.equal(source.fps, 25);
    const frames = await collect(source, 2);
    assert.deepEqual([frames[1]?.id, frames[1]?.width, frames[1]?.height, frames[1]?.data.length], ['1', 200, 100, 200 * 100 * 3]);
    assert.notDeepEqual(frames[0]?.data, frames[1]?.data);
    const [jpeg] = await collect(await openSource('synthetic:'), 1);
    assert.deepEqual((await sharp(jpeg?.data).metadata()).width, 640);
    await assert.rejects(openSource('synthetic:wide'), { code: 'INVALID_SOURCE' });
  });

  await t.test('frames are scaled and re-encoded only when needed', async () => {
    const png = await solidPng(40, 20, [0, 0, 255]);
    const frame: Frame = { index: 0, id: 'a', data: png, encoding: 'png', width: 0, height: 0 };
    assert.equal(await prepareFrame(frame, {}), frame);
    const small = await prepareFrame(frame, { resize: { width: 20, height: 0 }, encoding: 'raw' });
    assert.deepEqual([small.encoding, small.width, small.height, small.data.length, small.data[2]], ['raw', 20, 10, 600, 255]);
    const jpeg = await prepareFrame(small, { encoding: 'jpeg' });
    assert.equal((await sharp(jpeg.data).metadata()).format, 'jpeg');
    const sized = { ...small };
    assert.equal(await prepareFrame(sized, { resize: { width: 20, height: 10 } }), sized);
  });
});
