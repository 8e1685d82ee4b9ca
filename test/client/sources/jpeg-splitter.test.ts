import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { JpegSplitter } from '../../../client/sources/jpeg-splitter.js';

async function jpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + seed * 31) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, progressive: seed % 2 === 1 }).toBuffer();
}

/** An APP1 segment whose payload holds an FF D9 pair, as an EXIF thumbnail would. */
function withThumbnail(image: Buffer): Buffer {
  const payload = Buffer.from([0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd8, 0xff, 0xd9, 1, 2, 3]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1, 0, payload.length + 2]), payload]);
  return Buffer.concat([image.subarray(0, 2), segment, image.subarray(2)]);
}

test('splits concatenated JPEGs at any chunk boundary, baseline and progressive', async () => {
  const images = [await jpeg(40, 30, 0), await jpeg(64, 48, 1), withThumbnail(await jpeg(33, 17, 2)), await jpeg(8, 8, 3)];
  const stream = Buffer.concat(images);
  for (const size of [1, 2, 3, 7, 64, 1000, stream.length]) {
    const splitter = new JpegSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) out.push(...splitter.push(stream.subarray(i, i + size)));
    assert.equal(out.length, images.length, `chunks of ${size}`);
    out.forEach((frame, i) => assert.ok(frame.equals(images[i] as Buffer), `image ${i}, chunks of ${size}`));
    assert.equal(splitter.pending, 0);
  }
});

test('holds an unfinished image until the rest arrives and skips bytes between images', async () => {
  const image = await jpeg(20, 20, 4);
  const splitter = new JpegSplitter();
  assert.deepEqual(splitter.push(Buffer.concat([Buffer.from([0, 1, 2]), image.subarray(0, 100)])), []);
  assert.equal(splitter.pending, 100);
  const [done] = splitter.push(Buffer.concat([image.subarray(100), Buffer.from([9, 9])]));
  assert.ok(done?.equals(image));
  assert.equal(splitter.pending, 0);
});
