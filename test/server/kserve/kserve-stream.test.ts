import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { ModelInferRequest, ModelStreamInferResponse } from '../../../gen/ts/inference/grpc_service.js';
import type { PredictResponse } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { addInfer, floatsOf, imageInfer, inferRequest, kserveClient, outputOf, rawStreamClient, streamInfer, stringsOf, unary } from '../../helpers/kserve-client.js';
import { imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const COLOURS = { red: [230, 20, 20], green: [20, 200, 20], blue: [20, 20, 230] } as const;
type Colour = keyof typeof COLOURS;

function jpegOf(colour: Colour): Promise<Buffer> {
  const [r, g, b] = COLOURS[colour];
  return sharp({ create: { width: 48, height: 40, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();
}

/** The stream's answer as a line: its id, then its error or its top label. */
function answerOf(response: ModelStreamInferResponse): string {
  const id = response.inferResponse?.id ?? '';
  if (response.errorMessage !== '') return `${id} ${response.errorMessage.split(':')[0] ?? ''}`;
  const inferResponse = response.inferResponse;
  assert.ok(inferResponse !== undefined);
  if (inferResponse.modelName === 'add') return `${id} ${floatsOf(outputOf(inferResponse, 'sum')).join(',')}`;
  return `${id} ${stringsOf(outputOf(inferResponse, 'class_labels'))[0] ?? ''}`;
}

test('ModelStreamInfer answers tiny-cnn JPEGs in order, and bad requests in the mix with error_message while the stream goes on', async (t) => {
  const { address } = await startTestServer(t);
  const client = rawStreamClient(t, address);
  const jpegs = { red: await jpegOf('red'), green: await jpegOf('green'), blue: await jpegOf('blue') };
  const colours = Object.keys(COLOURS) as Colour[];
  const messages: (ModelInferRequest | Uint8Array)[] = [];
  const expected: string[] = [];
  const bad = (message: ModelInferRequest | Uint8Array, answer: string): void => {
    messages.push(message);
    expected.push(answer);
  };
  for (let i = 0; i < 30; i++) {
    const colour = colours[i % 3] as Colour;
    messages.push(imageInfer(String(i), 'tiny-cnn', jpegs[colour]));
    expected.push(`${i} ${colour}`);
    if (i === 4) bad(imageInfer('bad-model', 'nope', jpegs.red), 'bad-model NOT_FOUND');
    if (i === 9) bad(Buffer.from([0xff, 0xff, 0xff, 0xff]), ' INVALID_ARGUMENT');
    if (i === 14) bad(imageInfer('bad-image', 'tiny-cnn', Buffer.from('not a JPEG at all')), 'bad-image INVALID_ARGUMENT');
    if (i === 19) {
      const sequence = imageInfer('bad-sequence', 'tiny-cnn', jpegs.red);
      sequence.parameters = { sequence_id: { parameterChoice: { $case: 'uint64Param', value: 12n } } };
      bad(sequence, 'bad-sequence INVALID_ARGUMENT');
    }
    if (i === 22) bad(addInfer('add', [1, 2, 3, 4], [1, 1, 1, 1]), 'add 2,3,4,5');
    if (i === 24) bad(inferRequest({ model: 'tiny-cnn', id: 'bad-dtype', inputs: [{ name: 'image', datatype: 'FP32', shape: [1], raw: new Uint8Array(4) }] }), 'bad-dtype INVALID_ARGUMENT');
  }

  const responses = await streamInfer(client, messages);
  assert.deepEqual(responses.map(answerOf), expected);
  const errorOf = (id: string): string => responses.find((r) => r.inferResponse?.id === id)?.errorMessage ?? '';
  assert.match(errorOf('bad-model'), /"nope"/);
  assert.match(errorOf('bad-sequence'), /"sequence_id".*sequence batching is not supported/);
  assert.match(errorOf('bad-dtype'), /input image has rank 1/);
  assert.match(responses.find((r) => r.inferResponse?.id === '' && r.errorMessage !== '')?.errorMessage ?? '', /not a valid ModelInferRequest/);
  // Answers carry their request's id and model, errors included (as Triton's do).
  assert.equal(responses.find((r) => r.inferResponse?.id === 'bad-image')?.inferResponse?.modelName, 'tiny-cnn');
  assert.equal(responses[0]?.inferResponse?.modelVersion, '1');
});

test('ModelStreamInfer serves pages to ppocr-det and the ocr pipeline, and honours each request\'s timeout', async (t) => {
  const { address } = await startTestServer(t);
  const client = rawStreamClient(t, address);
  const page = await renderText(960, 960, [{ text: 'a slow page', x: 80, y: 400, size: 80 }]);
  const line = await renderText(320, 100, [{ text: 'foxtrot', x: 20, y: 65, size: 42 }]);
  const late = imageInfer('late', 'ppocr-det', page);
  late.parameters = { timeout: { parameterChoice: { $case: 'int64Param', value: 1n } } };
  const messages = [imageInfer('page-0', 'ppocr-det', page), imageInfer('page-1', 'ppocr-det', page), imageInfer('page-2', 'ppocr-det', page), late, imageInfer('line', 'ocr', line, ['texts'])];

  const responses = await streamInfer(client, messages);
  assert.deepEqual(responses.map((r) => r.inferResponse?.id), ['page-0', 'page-1', 'page-2', 'late', 'line']);
  for (const response of responses.slice(0, 3)) {
    assert.equal(response.errorMessage, '');
    assert.ok(response.inferResponse !== undefined);
    assert.deepEqual(outputOf(response.inferResponse, 'boxes').shape, [1, 4]);
  }
  // Two workers were busy with pages: the late item could not start within 1 µs.
  assert.match(responses[3]?.errorMessage ?? '', /^DEADLINE_EXCEEDED: /);
  const read = responses[4]?.inferResponse;
  assert.ok(read !== undefined, responses[4]?.errorMessage);
  assert.deepEqual(read.outputs.map((o) => o.name), ['texts']);
  assert.deepEqual(stringsOf(outputOf(read, 'texts')), ['foxtrot']);
});

test('a ModelStreamInfer stream and a sluice.v1 Predict stream to the same model batch together', async (t) => {
  // One worker: while it reads a page, both streams' tiny-cnn items wait in the same queue.
  const { address, client } = await startTestServer(t, { workers: 1 });
  const kserve = rawStreamClient(t, address);
  const page = await renderText(960, 960, [{ text: 'hold the worker', x: 80, y: 400, size: 80 }]);
  const jpeg = await jpegOf('green');
  const busy = client.predictOne(imageItem('busy', 'ppocr-det', page));
  await new Promise((resolve) => setTimeout(resolve, 50));

  const sluiceAnswers = (async () => {
    const responses: PredictResponse[] = [];
    for await (const response of client.predictStream([0, 1, 2, 3].map((i) => imageItem(`sluice-${i}`, 'tiny-cnn', jpeg)))) responses.push(response);
    return responses;
  })();
  const kserveAnswers = streamInfer(kserve, [0, 1, 2, 3].map((i) => imageInfer(`kserve-${i}`, 'tiny-cnn', jpeg)));
  const [sluice, kserveResponses] = await Promise.all([sluiceAnswers, kserveAnswers]);
  await busy;

  assert.deepEqual(kserveResponses.map(answerOf), [0, 1, 2, 3].map((i) => `kserve-${i} green`));
  assert.deepEqual(sluice.map((r) => r.result?.$case), ['prediction', 'prediction', 'prediction', 'prediction']);
  // The sluice stream held 4 items: a run of 8 held the KServe stream's 4 too.
  assert.deepEqual(sluice.map((r) => r.batchSize), [8, 8, 8, 8]);
  const kserveClientForStats = kserveClient(t, address);
  const { modelStats } = await unary(kserveClientForStats.modelStatistics.bind(kserveClientForStats), { name: 'tiny-cnn', version: '' });
  assert.deepEqual(modelStats[0]?.batchStats.map((b) => [b.batchSize, b.computeInfer?.count]), [[8n, 1n]]);
});
