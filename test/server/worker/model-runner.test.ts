import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { credentials } from '@grpc/grpc-js';
import sharp from 'sharp';
import { PixelFormat } from '../../../gen/ts/sluice/v1/image.js';
import { InferenceServiceClient, type PredictResponse, type StreamOptions, type WatchResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { loadModel } from '../../../server/repository/load-model.js';
import { InputArena } from '../../../server/worker/input-arena.js';
import { ModelRunner } from '../../../server/worker/model-runner.js';
import type { ImageData, InferTask, ItemResult } from '../../../server/worker/task.js';
import { renderText, solidPng } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

// Memory is compared against a settled baseline: garbage left by earlier work must not hide growth.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** PNG of a 1 x 70000 column: valid and small, but no JPEG can hold it (65535 px per side). */
const tallColumn = (): Promise<Buffer> =>
  sharp({ create: { width: 1, height: 70_000, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();

const encoded = (data: Uint8Array): ImageData => ({ data, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED });

async function openRunner(model: string): Promise<ModelRunner> {
  const spec = (await loadModel(join(MODELS_DIR, model))).spec;
  assert.ok(spec !== undefined);
  return ModelRunner.open(spec, { intraOpThreads: 1, maxImagePixels: 40_000_000, arena: new InputArena() });
}

function task(images: readonly ImageData[], extras: { cropHeight?: number; thumbnailWidth?: number }): Pick<InferTask, 'items' | 'returnTensors' | 'cropHeights' | 'thumbnailWidths'> {
  return {
    items: images.map((image) => ({ kind: 'image', image })),
    returnTensors: images.map(() => false),
    cropHeights: images.map(() => extras.cropHeight ?? 0),
    thumbnailWidths: images.map(() => extras.thumbnailWidth ?? 0),
  };
}

/** The highest growth of memory outside the JS heap (where decoded pixels live) while `work` runs. */
async function peakExternalGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growth: number }> {
  // Buffers outside the heap are freed by callbacks after a collection, not during it.
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await setImmediate();
  }
  const base = process.memoryUsage().external;
  let peak = base;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().external);
  };
  const timer = setInterval(sample, 1);
  try {
    const value = await work();
    sample();
    return { value, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

const ok = (result: ItemResult | undefined): ItemResult & { ok: true } => {
  assert.ok(result?.ok === true, `expected a prediction, got ${JSON.stringify(result)}`);
  return result;
};

test('an item whose display image cannot be made still gets its prediction, and the other items of the run are served', async () => {
  const runner = await openRunner('tiny-cnn');
  const results = await runner.run(task([encoded(await tallColumn()), encoded(await solidPng(64, 48, [0, 0, 255]))], { thumbnailWidth: 320 }));
  const tall = ok(results[0]);
  assert.equal(tall.prediction.classes[0]?.label, 'red');
  assert.equal(tall.thumbnail, undefined, 'no JPEG can be 70000 px tall');
  const blue = ok(results[1]);
  assert.equal(blue.prediction.classes[0]?.label, 'blue');
  assert.equal(tall.batchSize, 2, 'both items shared one run');
  assert.deepEqual([blue.thumbnail?.width, blue.thumbnail?.height], [64, 48]);
});

test('a display image is made from the encoded bytes, without a full-resolution decode', async () => {
  const runner = await openRunner('tiny-cnn');
  await runner.run(task([encoded(await solidPng(64, 64, [0, 255, 0]))], { thumbnailWidth: 320 })); // warm-up
  const side = 5000;
  const png = await solidPng(side, side, [0, 255, 0]);
  const decodedBytes = side * side * 3;
  const { value: results, growth } = await peakExternalGrowth(() => runner.run(task([encoded(png)], { thumbnailWidth: 320 })));
  const green = ok(results[0]);
  assert.equal(green.prediction.classes[0]?.label, 'green');
  assert.deepEqual([green.thumbnail?.width, green.thumbnail?.height], [320, 320]);
  assert.ok(growth < decodedBytes / 4, `memory grew by ${(growth / 2 ** 20).toFixed(1)} MiB; the decoded image alone is ${(decodedBytes / 2 ** 20).toFixed(1)} MiB`);
});

test('pixels for crops are decoded only for an item with detections, and the crops follow the detections', async () => {
  const runner = await openRunner('ppocr-det');
  const [width, height] = [6000, 4000];
  const blank = await solidPng(width, height, [255, 255, 255]);
  const decodedBytes = width * height * 3;
  // What the detector itself needs for this image (its tensors, its outputs), as a reference.
  const { growth: detecting } = await peakExternalGrowth(() => runner.run(task([encoded(blank)], {})));
  const { value: blankResults, growth } = await peakExternalGrowth(() => runner.run(task([encoded(blank)], { cropHeight: 48 })));
  const nothing = ok(blankResults[0]);
  assert.equal(nothing.prediction.detections.length, 0);
  assert.deepEqual(nothing.crops ?? [], []);
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  assert.ok(
    growth - detecting < decodedBytes / 4,
    `asking for crops of an image without text took ${mib(growth - detecting)} MiB more than detecting alone (${mib(detecting)} MiB); decoded the image is ${mib(decodedBytes)} MiB`,
  );

  const page = await renderText(1200, 400, [
    { text: 'first line of text', x: 40, y: 120, size: 60 },
    { text: 'and a second one', x: 40, y: 300, size: 60 },
  ]);
  const found = ok((await runner.run(task([encoded(page), encoded(blank)], { cropHeight: 48 })))[0]);
  assert.equal(found.prediction.detections.length, 2);
  assert.equal(found.crops?.length, 2);
  for (const crop of found.crops ?? []) {
    assert.equal(crop.height, 48);
    assert.equal(crop.data.byteLength, crop.width * crop.height * 3);
    assert.ok(crop.width > 48 * 4, `a line of text is wide, got ${crop.width}`);
  }
});

function publishOptions(name: string): StreamOptions {
  return { order: 0, maxInFlight: 8, dropPolicy: 0, itemTimeoutMs: 0, publish: name, private: false };
}

async function answers(call: NodeJS.ReadableStream, count: number): Promise<PredictResponse[]> {
  const received: PredictResponse[] = [];
  for await (const response of call as AsyncIterable<PredictResponse>) {
    received.push(response);
    if (received.length === count) break;
  }
  return received;
}

test('a watched frame whose display image fails does not fail the other clients items batched with it', async (t) => {
  const { address } = await startTestServer(t, { workers: 1 });
  const stub = new InferenceServiceClient(address, credentials.createInsecure());
  t.after(() => stub.close());
  const blue = await solidPng(64, 48, [0, 0, 255]);

  const watched = stub.predict();
  watched.write({ ...imageItem('first', 'tiny-cnn', blue), streamOptions: publishOptions('cam') });
  await once(watched, 'data');
  const watch = stub.watch({ session: 'cam', maxWidth: 320 });
  const events: WatchResponse[] = [];
  watch.on('data', (e: WatchResponse) => events.push(e));
  watch.on('error', () => undefined); // cancelled at the end
  await sleep(100); // the watch is registered before the hostile frame goes

  // The one worker is busy with a detector run while the tiny-cnn items queue: they then go as one task.
  const busy = stub.predict();
  busy.write(imageItem('busy', 'ppocr-det', await renderText(960, 960, [{ text: 'keep the worker busy', x: 40, y: 480, size: 70 }])));
  await sleep(30);
  const other = stub.predict();
  watched.write(imageItem('tall', 'tiny-cnn', await tallColumn()));
  for (let i = 0; i < 4; i++) other.write(imageItem(`other-${i}`, 'tiny-cnn', blue));

  const [tall] = await answers(watched, 1);
  const others = await answers(other, 4);
  await answers(busy, 1);
  for (const call of [watched, other, busy]) call.end();
  watch.cancel();

  for (const response of others) {
    assert.equal(response.result?.$case, 'prediction', `${response.id}: ${JSON.stringify(response.result)}`);
  }
  assert.ok(others.some((r) => r.batchSize > 1), `the other items ran batched (batch sizes ${others.map((r) => r.batchSize).join(', ')})`);
  assert.equal(tall?.result?.$case, 'prediction', JSON.stringify(tall?.result));
  assert.ok((tall?.batchSize ?? 0) > 1, 'the hostile frame shared its run with other items');
  const shown = events.find((e) => e.response?.id === 'tall');
  assert.ok(shown !== undefined, 'the watcher saw the frame');
  assert.deepEqual([shown.jpeg.byteLength, shown.width, shown.height], [0, 0, 0], 'without a display image');
});
