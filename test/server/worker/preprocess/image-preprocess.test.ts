import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { PixelFormat } from '../../../../gen/ts/sluice/v1/image.js';
import {
  ChannelOrder,
  Layout,
  Preprocessing,
  ResizeMode,
} from '../../../../gen/ts/sluice/v1/model_config.js';
import { toOriginal } from '../../../../server/worker/preprocess/image-geometry.js';
import { preprocessImage } from '../../../../server/worker/preprocess/image-preprocess.js';
import { resolvePreprocessing } from '../../../../server/worker/preprocess/resolve-preprocessing.js';
import type { ImageData } from '../../../../server/worker/task.js';

const LIMITS = { maxImagePixels: 4096 * 4096 };
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

const hasCode = (code: string) => (err: unknown) => (err as { code?: unknown }).code === code;

function encoded(data: Uint8Array): ImageData {
  return { data, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED };
}

function raw(data: Uint8Array, width: number, height: number, pixelFormat: PixelFormat): ImageData {
  return { data, width, height, pixelFormat };
}

function solidPng(width: number, height: number, r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

function pre(fields: Partial<Preprocessing>) {
  return resolvePreprocessing(Preprocessing.fromPartial(fields));
}

/** Every value of channel `c` in an NCHW tensor. */
function nchwPlane(data: Float32Array, dims: number[], c: number): Float32Array {
  const plane = (dims[2] as number) * (dims[3] as number);
  return data.subarray(c * plane, (c + 1) * plane);
}

function assertAllClose(values: ArrayLike<number>, expected: number, message: string): void {
  for (let i = 0; i < values.length; i++) {
    assert.ok(Math.abs((values[i] as number) - expected) < 1e-5, `${message}: [${i}] = ${values[i]}, expected ${expected}`);
  }
}

test('each resize mode gives its dims and geometry', async () => {
  const png = await solidPng(640, 200, 10, 20, 30);
  const stretch = await preprocessImage(encoded(png), pre({ width: 224, height: 224 }), LIMITS);
  assert.deepEqual(stretch.dims, [1, 3, 224, 224]);
  assert.deepEqual(stretch.geometry, { originalWidth: 640, originalHeight: 200, scaleX: 224 / 640, scaleY: 224 / 200, padX: 0, padY: 0 });

  const letterbox = await preprocessImage(
    encoded(png),
    pre({ width: 192, height: 192, resizeMode: ResizeMode.RESIZE_MODE_LETTERBOX }),
    LIMITS,
  );
  assert.deepEqual(letterbox.dims, [1, 3, 192, 192]);
  assert.equal(letterbox.geometry.scaleX, 192 / 640);
  assert.equal(letterbox.geometry.scaleY, 60 / 200);

  const fit = await preprocessImage(
    encoded(png),
    pre({ width: 320, height: 320, resizeMode: ResizeMode.RESIZE_MODE_FIT_STRIDE, layout: Layout.LAYOUT_NHWC }),
    LIMITS,
  );
  // 640x200 * 0.5 = 320x100 -> 320x96.
  assert.deepEqual(fit.dims, [1, 96, 320, 3]);
  assert.equal(fit.geometry.scaleX, 0.5);
  assert.equal(fit.geometry.scaleY, 96 / 200);
  assert.equal(fit.data.length, 96 * 320 * 3);
});

test('a known colour is normalised per channel in NCHW, NHWC and BGR order', async () => {
  const [r, g, b] = [200, 100, 50];
  const png = await solidPng(37, 23, r, g, b);
  const expectRgb = [(r / 255 - MEAN[0]!) / STD[0]!, (g / 255 - MEAN[1]!) / STD[1]!, (b / 255 - MEAN[2]!) / STD[2]!];

  const nchw = await preprocessImage(encoded(png), pre({ width: 16, height: 8, mean: MEAN, std: STD }), LIMITS);
  assert.deepEqual(nchw.dims, [1, 3, 8, 16]);
  for (let c = 0; c < 3; c++) assertAllClose(nchwPlane(nchw.data, nchw.dims, c), expectRgb[c]!, `NCHW channel ${c}`);

  const nhwc = await preprocessImage(
    encoded(png),
    pre({ width: 16, height: 8, mean: MEAN, std: STD, layout: Layout.LAYOUT_NHWC }),
    LIMITS,
  );
  assert.deepEqual(nhwc.dims, [1, 8, 16, 3]);
  for (let c = 0; c < 3; c++) {
    assertAllClose(nhwc.data.filter((_, i) => i % 3 === c), expectRgb[c]!, `NHWC channel ${c}`);
  }

  // BGR models take mean/std in their own channel order: channel 0 is blue.
  const bgrMean = [MEAN[2]!, MEAN[1]!, MEAN[0]!];
  const bgrStd = [STD[2]!, STD[1]!, STD[0]!];
  const bgr = await preprocessImage(
    encoded(png),
    pre({ width: 16, height: 8, mean: bgrMean, std: bgrStd, channelOrder: ChannelOrder.CHANNEL_ORDER_BGR }),
    LIMITS,
  );
  for (let c = 0; c < 3; c++) assertAllClose(nchwPlane(bgr.data, bgr.dims, c), expectRgb[2 - c]!, `BGR channel ${c}`);
});

test('scale, a single mean/std and GRAY models', async () => {
  const png = await solidPng(10, 10, 128, 128, 128);
  const gray = await preprocessImage(
    encoded(png),
    pre({ width: 4, height: 4, channelOrder: ChannelOrder.CHANNEL_ORDER_GRAY, scale: 1, mean: [128], std: [2] }),
    LIMITS,
  );
  assert.deepEqual(gray.dims, [1, 1, 4, 4]);
  assertAllClose(gray.data, 0, 'grey');
});

test('grey files feed colour models and colour files feed grey models', async () => {
  const greyPng = await sharp({ create: { width: 12, height: 12, channels: 3, background: '#404040' } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const rgb = await preprocessImage(encoded(greyPng), pre({ width: 4, height: 4, scale: 1 }), LIMITS);
  assert.deepEqual(rgb.dims, [1, 3, 4, 4]);
  assertAllClose(rgb.data, 0x40, 'grey into RGB');

  const redPng = await solidPng(12, 12, 255, 0, 0);
  const gray = await preprocessImage(
    encoded(redPng),
    pre({ width: 4, height: 4, scale: 1, channelOrder: ChannelOrder.CHANNEL_ORDER_GRAY }),
    LIMITS,
  );
  assert.deepEqual(gray.dims, [1, 1, 4, 4]);
  assertAllClose(gray.data, 0.299 * 255, 'red into GRAY');
});

test('LETTERBOX centres the image with pad_value above and below, and the geometry maps back', async () => {
  // A 200x100 black image with a white block at x 100..149, y 0..99.
  const block = await sharp({ create: { width: 50, height: 100, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000000' } })
    .composite([{ input: block, left: 100, top: 0 }])
    .png()
    .toBuffer();
  const out = await preprocessImage(
    encoded(png),
    pre({ width: 64, height: 64, resizeMode: ResizeMode.RESIZE_MODE_LETTERBOX, padValue: 255, scale: 1 }),
    LIMITS,
  );
  assert.deepEqual(out.dims, [1, 3, 64, 64]);
  const red = nchwPlane(out.data, out.dims, 0);
  // Resized to 64x32 at rows 16..47: rows 0..15 and 48..63 are padding (255); in the image,
  // white starts at x = 32.
  assert.equal(out.geometry.padY, 16);
  assertAllClose(red.subarray(2 * 64, 3 * 64), 255, 'padding row above');
  assertAllClose(red.subarray(60 * 64, 61 * 64), 255, 'padding row below');
  const row = 16 + 10;
  assert.equal(red[row * 64 + 20], 0);
  assert.equal(red[row * 64 + 40], 255);
  let firstWhite = -1;
  for (let x = 0; x < 64; x++) {
    if ((red[row * 64 + x] as number) > 127) {
      firstWhite = x;
      break;
    }
  }
  const back = toOriginal(firstWhite, row, out.geometry);
  assert.ok(Math.abs(back.x - 100) <= 3.2, `white block maps back to x=${back.x}`);
  assert.equal(back.y, 10 * (100 / 32));
});

test('raw RGB8, BGR8, RGBA8 and GRAY8 pixels', async () => {
  const opts = pre({ width: 2, height: 1, scale: 1 });
  const rgb = await preprocessImage(raw(new Uint8Array([10, 20, 30, 40, 50, 60]), 2, 1, PixelFormat.PIXEL_FORMAT_RGB8), opts, LIMITS);
  assert.deepEqual(Array.from(rgb.data), [10, 40, 20, 50, 30, 60]);

  const bgr = await preprocessImage(raw(new Uint8Array([30, 20, 10, 60, 50, 40]), 2, 1, PixelFormat.PIXEL_FORMAT_BGR8), opts, LIMITS);
  assert.deepEqual(Array.from(bgr.data), [10, 40, 20, 50, 30, 60]);

  const bgrModel = pre({ width: 2, height: 1, scale: 1, channelOrder: ChannelOrder.CHANNEL_ORDER_BGR });
  const bgrToBgr = await preprocessImage(raw(new Uint8Array([30, 20, 10, 60, 50, 40]), 2, 1, PixelFormat.PIXEL_FORMAT_BGR8), bgrModel, LIMITS);
  assert.deepEqual(Array.from(bgrToBgr.data), [30, 60, 20, 50, 10, 40]);

  const rgba = await preprocessImage(
    raw(new Uint8Array([10, 20, 30, 255, 40, 50, 60, 255]), 2, 1, PixelFormat.PIXEL_FORMAT_RGBA8),
    opts,
    LIMITS,
  );
  assert.deepEqual(Array.from(rgba.data), [10, 40, 20, 50, 30, 60]);

  // A grey source feeds all three channels of a colour model.
  const gray = await preprocessImage(raw(new Uint8Array([7, 9]), 2, 1, PixelFormat.PIXEL_FORMAT_GRAY8), opts, LIMITS);
  assert.deepEqual(Array.from(gray.data), [7, 9, 7, 9, 7, 9]);
});

test('BGR8 into a GRAY model weighs the channels as RGB', async () => {
  const grayModel = pre({ width: 1, height: 1, scale: 1, channelOrder: ChannelOrder.CHANNEL_ORDER_GRAY });
  const fromBgr = await preprocessImage(raw(new Uint8Array([0, 0, 255]), 1, 1, PixelFormat.PIXEL_FORMAT_BGR8), grayModel, LIMITS);
  const fromRgb = await preprocessImage(raw(new Uint8Array([255, 0, 0]), 1, 1, PixelFormat.PIXEL_FORMAT_RGB8), grayModel, LIMITS);
  assert.equal(fromBgr.data[0], fromRgb.data[0]);
  // BT.601: 0.299 * 255.
  assert.ok(Math.abs((fromRgb.data[0] as number) - 0.299 * 255) < 1e-3, `grey of red = ${fromRgb.data[0]}`);
});

test('EXIF orientation is applied before the geometry is taken', async () => {
  const jpeg = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#808080' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const out = await preprocessImage(encoded(jpeg), pre({ width: 10, height: 30 }), LIMITS);
  assert.equal(out.geometry.originalWidth, 20);
  assert.equal(out.geometry.originalHeight, 60);
});

test('empty, corrupt and non-image bytes are INVALID_IMAGE', async () => {
  const opts = pre({ width: 8, height: 8 });
  await assert.rejects(preprocessImage(encoded(new Uint8Array(0)), opts, LIMITS), hasCode('INVALID_IMAGE'));
  await assert.rejects(preprocessImage(encoded(new TextEncoder().encode('hello, world')), opts, LIMITS), hasCode('INVALID_IMAGE'));
  const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
  await assert.rejects(preprocessImage(encoded(svg), opts, LIMITS), hasCode('INVALID_IMAGE'));

  const png = await solidPng(64, 64, 1, 2, 3);
  const garbage = Buffer.concat([png.subarray(0, 8), Buffer.alloc(200, 0x42)]);
  await assert.rejects(preprocessImage(encoded(garbage), opts, LIMITS), hasCode('INVALID_IMAGE'));

  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } }).jpeg().toBuffer();
  const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
  await assert.rejects(preprocessImage(encoded(truncated), opts, LIMITS), hasCode('INVALID_IMAGE'));
});

test('raw pixels with the wrong length, no size or an unknown format are INVALID_IMAGE', async () => {
  const opts = pre({ width: 8, height: 8 });
  await assert.rejects(
    preprocessImage(raw(new Uint8Array(11), 2, 2, PixelFormat.PIXEL_FORMAT_RGB8), opts, LIMITS),
    (err: unknown) => hasCode('INVALID_IMAGE')(err) && /12 bytes, got 11/.test((err as Error).message),
  );
  await assert.rejects(preprocessImage(raw(new Uint8Array(12), 2, 2, PixelFormat.PIXEL_FORMAT_RGBA8), opts, LIMITS), hasCode('INVALID_IMAGE'));
  await assert.rejects(preprocessImage(raw(new Uint8Array(4), 0, 2, PixelFormat.PIXEL_FORMAT_GRAY8), opts, LIMITS), hasCode('INVALID_IMAGE'));
  await assert.rejects(preprocessImage(raw(new Uint8Array(4), 2, 2, PixelFormat.UNRECOGNIZED), opts, LIMITS), hasCode('INVALID_IMAGE'));
});

test('images over the pixel limit are IMAGE_TOO_LARGE', async () => {
  const opts = pre({ width: 8, height: 8 });
  const limits = { maxImagePixels: 100 * 100 };
  const png = await solidPng(101, 100, 0, 0, 0);
  await assert.rejects(preprocessImage(encoded(png), opts, limits), hasCode('IMAGE_TOO_LARGE'));
  await assert.rejects(
    preprocessImage(raw(new Uint8Array(101 * 100 * 3), 101, 100, PixelFormat.PIXEL_FORMAT_RGB8), opts, limits),
    hasCode('IMAGE_TOO_LARGE'),
  );
  // Exactly at the limit is fine.
  const atLimit = await preprocessImage(encoded(await solidPng(100, 100, 0, 0, 0)), opts, limits);
  assert.deepEqual(atLimit.dims, [1, 3, 8, 8]);
});
