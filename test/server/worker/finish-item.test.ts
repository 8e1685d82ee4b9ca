import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { PixelFormat } from '../../../gen/ts/sluice/v1/image.js';
import { Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { finishItem } from '../../../server/worker/finish-item.js';
import type { ImageData, ItemResult } from '../../../server/worker/task.js';

const TIMINGS = { preprocessUs: 1, inferenceUs: 2, postprocessUs: 3 };
const LIMIT = 4096 * 4096;

/** A served item that found one box, from (x0, y0) to (x1, y1). */
function served(box?: readonly [number, number, number, number]): ItemResult & { ok: true } {
  const detections =
    box === undefined
      ? []
      : [{ polygon: [{ x: box[0], y: box[1] }, { x: box[2], y: box[1] }, { x: box[2], y: box[3] }, { x: box[0], y: box[3] }] }];
  return { ok: true, prediction: Prediction.fromPartial({ detections }), timings: TIMINGS, batchSize: 1 };
}

/** Raw BGR8 pixels: the left half blue, the right half red. */
function blueThenRed(width: number, height: number): ImageData {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[(y * width + x) * 3 + (x < width / 2 ? 0 : 2)] = 255;
  }
  return { data, width, height, pixelFormat: PixelFormat.PIXEL_FORMAT_BGR8 };
}

async function pixelAt(jpeg: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

test('a display image of raw BGR pixels keeps its colours', async () => {
  const image = blueThenRed(64, 16);
  const finished = await finishItem(served(), image, { cropHeight: 0, thumbnailWidth: 32, maxImagePixels: LIMIT });
  assert.ok(finished.ok && finished.thumbnail !== undefined);
  assert.deepEqual([finished.thumbnail.width, finished.thumbnail.height], [32, 8]);
  const [leftR, , leftB] = await pixelAt(finished.thumbnail.jpeg, 4, 4);
  const [rightR, , rightB] = await pixelAt(finished.thumbnail.jpeg, 28, 4);
  assert.ok((leftB as number) > 200 && (leftR as number) < 50, 'the left half is blue');
  assert.ok((rightR as number) > 200 && (rightB as number) < 50, 'the right half is red');
});

test('crops are cut in RGB from raw BGR pixels, and an item without detections is not decoded for them', async () => {
  const image = blueThenRed(64, 16);
  const finished = await finishItem(served([40, 0, 64, 16]), image, { cropHeight: 8, thumbnailWidth: 0, maxImagePixels: LIMIT });
  assert.ok(finished.ok);
  const [crop] = finished.crops ?? [];
  assert.ok(crop !== undefined);
  assert.deepEqual([crop.width, crop.height, crop.pixelFormat], [12, 8, PixelFormat.PIXEL_FORMAT_RGB8]);
  assert.deepEqual([...crop.data.subarray(0, 3)], [255, 0, 0], 'red, in RGB order');
  assert.equal(finished.timings.inferenceUs, TIMINGS.inferenceUs);

  // Bytes that would not even decode: with nothing to cut, they are never looked at.
  const garbage: ImageData = { data: new Uint8Array([0xff, 0xd8, 0xff, 0x00]), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED };
  const none = await finishItem(served(), garbage, { cropHeight: 8, thumbnailWidth: 0, maxImagePixels: LIMIT });
  assert.ok(none.ok);
  assert.deepEqual(none.crops, []);
});

test('crops that cannot be cut fail their item; a display image that cannot be made is left out', async () => {
  const garbage: ImageData = { data: new Uint8Array([0xff, 0xd8, 0xff, 0x00]), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED };
  const failed = await finishItem(served([0, 0, 4, 4]), garbage, { cropHeight: 8, thumbnailWidth: 0, maxImagePixels: LIMIT });
  assert.equal(failed.ok, false);
  assert.equal(!failed.ok && failed.code, 'INVALID_IMAGE');

  const tall = await sharp({ create: { width: 1, height: 70_000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
  const image: ImageData = { data: tall, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED };
  const shown = await finishItem(served(), image, { cropHeight: 0, thumbnailWidth: 320, maxImagePixels: LIMIT });
  assert.ok(shown.ok);
  assert.equal(shown.thumbnail, undefined);
});
