import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { GrpcStatus, type PredictResponse, isServiceError } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { tempRepository } from '../../helpers/model-repo.js';
import { addRequest, describeResult, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

function readLines(response: PredictResponse): { text: string; label: string; score: number }[] {
  assert.equal(response.result?.$case, 'prediction', describeResult(response));
  if (response.result?.$case !== 'prediction') return [];
  return [...response.result.value.detections]
    .sort((a, b) => a.yMin - b.yMin)
    .map((d) => ({ text: d.text, label: d.label, score: d.textScore }));
}

/** Compares ignoring spaces, which the recogniser sometimes merges; character accuracy is the eval's job. */
const squash = (text: string): string => text.replace(/\s+/g, '');

test('the ocr pipeline reads rendered lines over PredictOne, and turned pages come back read and marked 180', async (t) => {
  const { client } = await startTestServer(t);
  const page = await renderText(640, 240, [
    { text: 'Hello Sluice 2026', x: 30, y: 80, size: 44 },
    { text: 'streams of frames to models', x: 30, y: 180, size: 36 },
  ]);
  const upright = readLines(await client.predictOne(imageItem('upright', 'ocr', page)));
  assert.deepEqual(upright.map((l) => squash(l.text)), ['HelloSluice2026', 'streamsofframestomodels']);
  assert.deepEqual(upright.map((l) => l.label), ['0', '0']);
  assert.ok(upright.every((l) => l.score > 0.9));

  const turned = readLines(await client.predictOne(imageItem('turned', 'ocr', await sharp(page).rotate(180).png().toBuffer())));
  assert.deepEqual(new Set(turned.map((l) => squash(l.text))), new Set(['HelloSluice2026', 'streamsofframestomodels']));
  assert.deepEqual(turned.map((l) => l.label), ['180', '180']);
});

test('the ocr pipeline serves streams like any model, batching crops across frames', async (t) => {
  const { client } = await startTestServer(t);
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  const frames = await Promise.all(words.map((w) => renderText(320, 100, [{ text: w, x: 20, y: 65, size: 42 }])));
  const responses: PredictResponse[] = [];
  const requests = [...frames.map((png, i) => imageItem(words[i] as string, 'ocr', png)), addRequest('tensors', [1, 1, 1, 1], [1, 1, 1, 1], 'ocr')];
  for await (const response of client.predictStream(requests, { streamOptions: { maxInFlight: 8 } })) responses.push(response);

  assert.deepEqual(responses.map((r) => r.id), [...words, 'tensors']);
  for (const [i, word] of words.entries()) assert.deepEqual(readLines(responses[i] as PredictResponse).map((l) => l.text), [word]);
  const last = responses.at(-1);
  assert.equal(last?.result?.$case === 'error' ? last.result.value.code : undefined, GrpcStatus.INVALID_ARGUMENT);
  const { models } = await client.listModels();
  assert.equal(models.find((m) => m.name === 'ocr')?.postprocessor, 'ocr_pipeline');
  await assert.rejects(client.predictOne(imageItem('bad', 'ocr', Buffer.from('nope'))), (err: unknown) => isServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT);
});

const NATO = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar zulu quebec romeo sierra tango uniform victor whiskey yankee'.split(' ');

/** A page of `rows` x `columns` words, each its own line of text for the detector. */
async function wordGrid(rows: number, columns: number): Promise<{ png: Buffer; words: string[] }> {
  const words = NATO.slice(0, rows * columns);
  const lines = words.map((text, i) => ({ text, x: 20 + (i % columns) * 220, y: 50 + Math.floor(i / columns) * 70, size: 34 }));
  return { png: await renderText(columns * 220 + 20, rows * 70 + 20, lines), words };
}

test('a page of many lines is read whole without overflowing the stage queues other frames share', async (t) => {
  // Queues of 8: a page whose crops all went to the classifier and recogniser at once would be
  // refused most of them. A few crops at a time fit, and every line is read.
  const { client } = await startTestServer(t, { maxQueueSize: 8 });
  const { png, words } = await wordGrid(6, 4);
  const lines = readLines(await client.predictOne(imageItem('page', 'ocr', png)));
  assert.equal(lines.length, words.length);
  assert.ok(lines.every((l) => l.text !== ''), 'no line is left unread');
  assert.deepEqual(new Set(lines.map((l) => squash(l.text))), new Set(words));
});

test('a stage that refuses a crop fails the frame with its status, rather than leaving the line empty', async (t) => {
  const models = await tempRepository(t, [
    { name: 'ppocr-det', from: 'ppocr-det' },
    { name: 'ppocr-cls', from: 'ppocr-cls' },
    { name: 'ppocr-rec', from: 'ppocr-rec', yaml: 'max_queue_size: 1' },
    { name: 'ocr', from: 'ocr' },
  ]);
  // One worker: the classifier answers a frame's crops together, and all but the first two of
  // them find the recogniser's queue of one full.
  const { client } = await startTestServer(t, { modelsDir: models, workers: 1 });
  const { png } = await wordGrid(2, 3);
  const failure = await client.predictOne(imageItem('page', 'ocr', png)).then(
    (response) => assert.fail(`expected RESOURCE_EXHAUSTED, got ${describeResult(response)}`),
    (err: unknown) => err,
  );
  assert.ok(isServiceError(failure) && failure.code === GrpcStatus.RESOURCE_EXHAUSTED, String(failure));
  assert.match(failure.details, /ppocr-rec has 1 items waiting/);

  // The same in a stream: the frame's answer is the error, and the stream goes on.
  const responses: PredictResponse[] = [];
  for await (const r of client.predictStream([imageItem('frame', 'ocr', png), imageItem('det', 'ppocr-det', png)])) responses.push(r);
  assert.equal(responses[0]?.result?.$case === 'error' ? responses[0].result.value.code : describeResult(responses[0] as PredictResponse), GrpcStatus.RESOURCE_EXHAUSTED);
  assert.equal(responses[1]?.result?.$case, 'prediction');
});
