import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { encodePalettePng } from '../../../../server/worker/postprocess/palette-png.js';
import { readPalettePng } from '../../../helpers/read-palette-png.js';

const PALETTE = Uint8Array.of(0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255);
const isInternal = (err: unknown): boolean => (err as { code?: unknown }).code === 'INTERNAL';

test('indices, palette and alpha survive the round trip, chunks in PNG order', () => {
  // 5 x 3: an odd width, so a row boundary slip would show.
  const pixels = Uint8Array.of(0, 1, 2, 3, 0, 1, 1, 1, 1, 1, 3, 2, 1, 0, 0);
  const alpha = Uint8Array.of(0, 128);
  const png = encodePalettePng({ width: 5, height: 3, pixels, palette: PALETTE, alpha });
  const read = readPalettePng(png);
  assert.deepEqual(read.chunks, ['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
  assert.deepEqual([read.width, read.height], [5, 3]);
  assert.deepEqual(read.pixels, pixels);
  assert.deepEqual(read.palette, PALETTE);
  assert.deepEqual(read.alpha, alpha);
  assert.ok(png.byteOffset === 0 && png.byteLength === png.buffer.byteLength, 'the PNG owns its buffer, so it can be moved');
});

test('without alpha there is no tRNS, and every level gives the same pixels', () => {
  const pixels = new Uint8Array(64 * 16).map((_, i) => (i >> 5) % 4);
  for (const level of [0, 1, 6, 9]) {
    const read = readPalettePng(encodePalettePng({ width: 64, height: 16, pixels, palette: PALETTE }, { level }));
    assert.deepEqual(read.chunks, ['IHDR', 'PLTE', 'IDAT', 'IEND'], `level ${level}`);
    assert.deepEqual(read.pixels, pixels, `level ${level}`);
  }
});

test('an ordinary decoder shows the palette colours, with tRNS alpha', async () => {
  const pixels = Uint8Array.of(0, 1, 2, 3);
  const png = encodePalettePng({ width: 2, height: 2, pixels, palette: PALETTE, alpha: Uint8Array.of(0, 255, 100) });
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [2, 2, 4]);
  assert.deepEqual([...data], [0, 0, 0, 0, 255, 0, 0, 255, 0, 255, 0, 100, 0, 0, 255, 255]);
});

test('sizes, palettes and alphas that do not fit are INTERNAL', () => {
  const ok = { width: 2, height: 2, pixels: new Uint8Array(4), palette: PALETTE };
  assert.doesNotThrow(() => encodePalettePng(ok));
  const bad = [
    { ...ok, width: 3 },
    { ...ok, width: 0, pixels: new Uint8Array(0) },
    { ...ok, palette: new Uint8Array(0) },
    { ...ok, palette: new Uint8Array(4) },
    { ...ok, palette: new Uint8Array(257 * 3) },
    { ...ok, alpha: new Uint8Array(5) },
  ];
  for (const image of bad) assert.throws(() => encodePalettePng(image), isInternal);
});
