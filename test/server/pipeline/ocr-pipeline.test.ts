import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { GrpcStatus, type PredictResponse, isServiceError } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
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
