import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrpcStatus, type PredictRequest, type PredictResponse, ResponseOrder } from '../../../client/index.js';
import { renderText, solidPng } from '../../helpers/images.js';
import { addRequest, describeResult, floatOutput, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

async function collect(stream: AsyncIterable<PredictResponse>): Promise<PredictResponse[]> {
  const responses: PredictResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

test('Predict streams tensors to a generated model and images to the PP-OCR detector', async (t) => {
  const { client } = await startTestServer(t);
  const page = await renderText(640, 200, [
    { text: 'Sluice streams frames', x: 40, y: 80, size: 44 },
    { text: 'to ONNX models', x: 40, y: 160, size: 44 },
  ]);
  const requests: PredictRequest[] = [
    addRequest('sum', [1, 2, 3, 4], [10, 20, 30, 40]),
    imageItem('page', 'ppocr-det', page),
    { ...addRequest('inherited', [1, 1, 1, 1], [2, 2, 2, 2]), model: '' },
  ];
  const responses = await collect(client.predictStream(requests));

  assert.deepEqual(responses.map((r) => r.id), ['sum', 'page', 'inherited']);
  assert.deepEqual(floatOutput(responses[0] as PredictResponse, 'sum'), [11, 22, 33, 44]);
  // The third item names no model: it inherits the last one given, ppocr-det, which takes images.
  assert.equal(responses[2]?.result?.$case, 'error');

  const page0 = responses[1] as PredictResponse;
  assert.equal(page0.model, 'ppocr-det');
  assert.equal(page0.result?.$case, 'prediction');
  if (page0.result?.$case !== 'prediction') return;
  const detections = page0.result.value.detections;
  assert.equal(detections.length, 2, `two lines drawn, got ${detections.length} boxes`);
  const [first, second] = [...detections].sort((a, b) => a.yMin - b.yMin);
  assert.ok(first !== undefined && second !== undefined);
  // The first baseline is at y=80 with 44px glyphs: the box spans roughly 45..92.
  assert.ok(first.yMin > 25 && first.yMin < 60 && first.yMax > 75 && first.yMax < 110, JSON.stringify(first));
  assert.ok(second.yMin > 105 && second.yMax > 155 && second.yMax < 190, JSON.stringify(second));
  assert.ok(first.xMin < 60 && first.xMax > 450, JSON.stringify(first));
  assert.equal(page0.result.value.imageWidth, 640);
  assert.equal(page0.result.value.imageHeight, 200);
  assert.ok((page0.timings?.inferenceUs ?? 0) > 0);
});

test('a model given once is inherited by later items', async (t) => {
  const { client } = await startTestServer(t);
  const requests = [addRequest('0', [1, 2, 3, 4], [1, 1, 1, 1]), { ...addRequest('1', [5, 6, 7, 8], [1, 1, 1, 1]), model: '' }];
  const responses = await collect(client.predictStream(requests));
  assert.deepEqual(floatOutput(responses[1] as PredictResponse, 'sum'), [6, 7, 8, 9]);
  assert.equal(responses[1]?.model, 'add');
});

test('responses keep request order across two workers, and completion order is available', async (t) => {
  const { client } = await startTestServer(t);
  const page = await renderText(960, 960, [{ text: 'slow item', x: 100, y: 400, size: 80 }]);
  const requests = (): PredictRequest[] =>
    Array.from({ length: 24 }, (_, i) => (i % 6 === 0 ? imageItem(`${i}`, 'ppocr-det', page) : addRequest(`${i}`, [i, i, i, i], [1, 1, 1, 1])));

  const ordered = await collect(client.predictStream(requests()));
  assert.deepEqual(ordered.map((r) => r.id), Array.from({ length: 24 }, (_, i) => `${i}`));
  assert.deepEqual(ordered.map((r) => r.sequence), Array.from({ length: 24 }, (_, i) => i));
  for (const r of ordered) assert.equal(r.result?.$case, 'prediction', `${r.id}: ${describeResult(r)}`);
  assert.deepEqual(floatOutput(ordered[7] as PredictResponse, 'sum'), [8, 8, 8, 8]);

  const completion = await collect(client.predictStream(requests(), { streamOptions: { order: ResponseOrder.RESPONSE_ORDER_COMPLETION } }));
  assert.equal(completion.length, 24);
  assert.deepEqual(new Set(completion.map((r) => r.id)), new Set(ordered.map((r) => r.id)));
  // The cheap items overtake the detector runs.
  const firstSlow = completion.findIndex((r) => r.id === '0');
  assert.ok(firstSlow > 0, `item 0 (a detector run) should not be answered first in completion order, was at ${firstSlow}`);
});

test('every bad item gets its own error with the right code, and the stream goes on', async (t) => {
  const { client } = await startTestServer(t, { maxImagePixels: 100 * 100 });
  const good = addRequest('good', [1, 2, 3, 4], [4, 3, 2, 1]);
  const tensor = good.inputs[0];
  assert.ok(tensor !== undefined);
  const withA = (id: string, a: Partial<typeof tensor>): PredictRequest => ({ ...good, id, inputs: [{ ...tensor, ...a }, good.inputs[1] as typeof tensor] });
  const cases: [PredictRequest, GrpcStatus, RegExp][] = [
    [{ ...good, id: 'unknown-model', model: 'no-such-model' }, GrpcStatus.NOT_FOUND, /no-such-model/],
    [withA('wrong-dtype', { dtype: 5 }), GrpcStatus.INVALID_ARGUMENT, /uint8.*float32/],
    [withA('wrong-rank', { shape: [4n], rawData: Buffer.alloc(16) }), GrpcStatus.INVALID_ARGUMENT, /rank 1/],
    [withA('wrong-shape', { shape: [1n, 5n], rawData: Buffer.alloc(20) }), GrpcStatus.INVALID_ARGUMENT, /axis 1 must be 4/],
    [withA('short-bytes', { rawData: Buffer.alloc(12) }), GrpcStatus.INVALID_ARGUMENT, /12 bytes.*needs 16/],
    [withA('unknown-input', { name: 'c' }), GrpcStatus.INVALID_ARGUMENT, /no input "c"/],
    [{ ...good, id: 'missing-input', inputs: [tensor] }, GrpcStatus.INVALID_ARGUMENT, /needs input b/],
    [imageItem('corrupt-image', 'tiny-cnn', Buffer.from('this is not a png')), GrpcStatus.INVALID_ARGUMENT, /decode/i],
    [imageItem('empty-image', 'tiny-cnn', Buffer.alloc(0)), GrpcStatus.INVALID_ARGUMENT, /empty/],
    [imageItem('huge-image', 'tiny-cnn', await solidPng(200, 200, [255, 0, 0])), GrpcStatus.INVALID_ARGUMENT, /pixels|limit/],
    [imageItem('image-to-tensor-model', 'add', await solidPng(8, 8, [0, 0, 0])), GrpcStatus.INVALID_ARGUMENT, /takes tensors/],
    [{ ...good, id: 'nothing', inputs: [] }, GrpcStatus.INVALID_ARGUMENT, /neither inputs nor an image/],
  ];
  const requests: PredictRequest[] = [];
  for (const [request] of cases) requests.push(request, { ...good, id: `after-${request.id}` });
  const responses = await collect(client.predictStream(requests));

  assert.equal(responses.length, requests.length);
  for (const [i, [request, code, pattern]] of cases.entries()) {
    const bad = responses[2 * i] as PredictResponse;
    const next = responses[2 * i + 1] as PredictResponse;
    assert.equal(bad.id, request.id);
    assert.equal(bad.result?.$case, 'error', `${request.id} should fail`);
    if (bad.result?.$case !== 'error') continue;
    assert.equal(bad.result.value.code, code, `${request.id}: ${bad.result.value.message}`);
    assert.match(bad.result.value.message, pattern, request.id);
    assert.equal(next.id, `after-${request.id}`);
    assert.deepEqual(floatOutput(next, 'sum'), [5, 5, 5, 5], `the item after ${request.id} is served`);
  }
});

test('a tiny CNN classifies flat colours through image preprocessing, batched', async (t) => {
  const { client } = await startTestServer(t);
  const colours: [string, [number, number, number]][] = [
    ['red', [230, 20, 20]],
    ['green', [20, 230, 20]],
    ['blue', [20, 20, 230]],
  ];
  const requests: PredictRequest[] = [];
  for (let i = 0; i < 30; i++) {
    const [name, rgb] = colours[i % 3] as [string, [number, number, number]];
    requests.push(imageItem(name, 'tiny-cnn', await solidPng(64, 48, rgb)));
  }
  const responses = await collect(client.predictStream(requests, { streamOptions: { maxInFlight: 30 } }));
  for (const response of responses) {
    assert.equal(response.result?.$case, 'prediction');
    if (response.result?.$case !== 'prediction') continue;
    assert.equal(response.result.value.classes[0]?.label, response.id);
    assert.ok((response.result.value.classes[0]?.score ?? 0) > 0.9);
  }
  assert.ok(Math.max(...responses.map((r) => r.batchSize)) > 1, 'items waiting together run as one batch');
});
