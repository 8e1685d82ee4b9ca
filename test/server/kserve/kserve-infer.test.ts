import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import sharp from 'sharp';
import type { ModelInferRequest, ModelInferResponse } from '../../../gen/ts/inference/grpc_service.js';
import { renderText, solidPng } from '../../helpers/images.js';
import {
  addInfer,
  bytesElements,
  failure,
  floatsOf,
  fp32,
  imageInfer,
  inferRequest,
  int64sOf,
  kserveClient,
  outputOf,
  stringsOf,
  unary,
} from '../../helpers/kserve-client.js';
import { startTestServer } from '../../helpers/test-server.js';

/** Compares ignoring spaces, which the recogniser sometimes merges. */
const squash = (text: string): string => text.replace(/\s+/g, '');

test('ModelInfer runs add from raw and from typed contents, echoing the id, with every or only the named outputs', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const infer = (request: ModelInferRequest): Promise<ModelInferResponse> => unary(client.modelInfer.bind(client), request);

  const raw = await infer(addInfer('raw-1', [1, 2, 3, 4, 5, 6, 7, 8], [10, 20, 30, 40, 50, 60, 70, 80]));
  assert.equal(raw.id, 'raw-1');
  assert.equal(raw.modelName, 'add');
  assert.equal(raw.modelVersion, '1');
  assert.deepEqual(raw.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]), [['sum', 'FP32', [2, 4]]]);
  assert.deepEqual(floatsOf(outputOf(raw, 'sum')), [11, 22, 33, 44, 55, 66, 77, 88]);

  const typed = await infer(
    inferRequest({
      model: 'add',
      id: 'typed',
      version: '1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [1, 2, 3, 4] } },
        { name: 'b', datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [0.5, 0.5, 0.5, 0.5] } },
      ],
    }),
  );
  assert.equal(typed.id, 'typed');
  assert.deepEqual(floatsOf(outputOf(typed, 'sum')), [1.5, 2.5, 3.5, 4.5]);

  const named = await infer(addInfer('named', [1, 1, 1, 1], [2, 2, 2, 2], { outputs: ['sum'] }));
  assert.deepEqual(floatsOf(outputOf(named, 'sum')), [3, 3, 3, 3]);
  const unknown = await failure(infer(addInfer('x', [1, 1, 1, 1], [2, 2, 2, 2], { outputs: ['sum', 'product'] })));
  assert.equal(unknown.code, status.INVALID_ARGUMENT);
  assert.match(unknown.details, /no output "product"/);
});

test('ModelInfer refuses tensors that do not fit, naming the input', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const refusal = async (request: ModelInferRequest, code: status, pattern: RegExp): Promise<void> => {
    const err = await failure(unary(client.modelInfer.bind(client), request));
    assert.equal(err.code, code, err.details);
    assert.match(err.details, pattern);
  };
  const a = { name: 'a', datatype: 'FP32', shape: [1, 4], raw: fp32([1, 2, 3, 4]) };
  const b = { name: 'b', datatype: 'FP32', shape: [1, 4], raw: fp32([1, 2, 3, 4]) };

  await refusal(inferRequest({ model: 'add', inputs: [{ ...a, datatype: 'INT32' }, b] }), status.INVALID_ARGUMENT, /input a is INT32 but model add takes FP32/);
  await refusal(inferRequest({ model: 'add', inputs: [a, { ...b, datatype: 'FLOAT' }] }), status.INVALID_ARGUMENT, /input b has datatype "FLOAT"/);
  await refusal(inferRequest({ model: 'add', inputs: [a, { ...b, raw: fp32([1, 2, 3]) }] }), status.INVALID_ARGUMENT, /input b has 12 bytes in raw_input_contents but shape \[1, 4\] of FP32 needs 16/);
  await refusal({ ...inferRequest({ model: 'add', inputs: [a, b] }), rawInputContents: [fp32([1, 2, 3, 4])] }, status.INVALID_ARGUMENT, /raw_input_contents has 1 entries but the request has 2 inputs/);
  await refusal(inferRequest({ model: 'add', inputs: [a, { ...b, name: 'c' }] }), status.INVALID_ARGUMENT, /no input "c"/);
  await refusal(inferRequest({ model: 'add', inputs: [a, { ...b, datatype: 'BYTES' }] }), status.INVALID_ARGUMENT, /input b is BYTES but model add takes/);
  await refusal(
    inferRequest({ model: 'add', inputs: [{ ...a, raw: undefined, contents: { fp32Contents: [1, 2, 3, 4] } }, { ...b, raw: undefined, contents: { fp32Contents: [1] } }] }),
    status.INVALID_ARGUMENT,
    /input b is FP32 with 4 elements, but contents.fp32_contents holds 1 values/,
  );
  await refusal(inferRequest({ model: 'add', inputs: [a, { ...b, shape: [2, 4], raw: fp32([1, 2, 3, 4, 5, 6, 7, 8]) }] }), status.INVALID_ARGUMENT, /batch dimension/);
  await refusal(inferRequest({ model: 'nope', inputs: [a, b] }), status.NOT_FOUND, /"nope"/);
  await refusal(inferRequest({ model: 'add', version: '2', inputs: [a, b] }), status.NOT_FOUND, /version "2"/);
  await refusal(inferRequest({ model: '', inputs: [a, b] }), status.INVALID_ARGUMENT, /model_name is required/);
  const twoImages = inferRequest({ model: 'tiny-cnn', inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], raw: bytesElements([Buffer.from('x'), Buffer.from('y')]) }] });
  await refusal(twoImages, status.INVALID_ARGUMENT, /input image holds 2 elements/);
  await refusal(imageInfer('garbage', 'tiny-cnn', Buffer.from('not an image')), status.INVALID_ARGUMENT, /decode/i);
});

test('request parameters: timeout is the deadline, sequence batching and the rest are refused by name', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const infer = (request: ModelInferRequest): Promise<ModelInferResponse> => unary(client.modelInfer.bind(client), request);
  const add = (parameters: ModelInferRequest['parameters']): ModelInferRequest => addInfer('p', [1, 2, 3, 4], [1, 1, 1, 1], { parameters });

  const sequence = await failure(infer(add({ sequence_id: { parameterChoice: { $case: 'int64Param', value: 7n } } })));
  assert.equal(sequence.code, status.INVALID_ARGUMENT);
  assert.match(sequence.details, /"sequence_id".*sequence batching is not supported/);
  for (const name of ['sequence_start', 'priority', 'custom']) {
    const err = await failure(infer(add({ [name]: { parameterChoice: { $case: 'boolParam', value: true } } })));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, new RegExp(`"${name}"`));
  }
  const asText = await failure(infer(add({ timeout: { parameterChoice: { $case: 'stringParam', value: '5s' } } })));
  assert.equal(asText.code, status.INVALID_ARGUMENT);
  assert.match(asText.details, /"timeout" must be an int64_param/);

  const roomy = await infer(add({ timeout: { parameterChoice: { $case: 'int64Param', value: 60_000_000n } } }));
  assert.deepEqual(floatsOf(outputOf(roomy, 'sum')), [2, 3, 4, 5]);

  // Both workers busy with pages: an item that may wait 1 µs cannot start in time.
  const page = await renderText(960, 960, [{ text: 'keeping the workers busy', x: 60, y: 400, size: 64 }]);
  const busy = [0, 1, 2].map((i) => infer(imageInfer(`busy-${i}`, 'ppocr-det', page)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const late = imageInfer('late', 'ppocr-det', page);
  late.parameters = { timeout: { parameterChoice: { $case: 'int64Param', value: 1n } } };
  const expired = await failure(infer(late));
  assert.equal(expired.code, status.DEADLINE_EXCEEDED, expired.details);
  await Promise.all(busy);
});

test('image models take a BYTES image and answer with named result outputs', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const infer = (request: ModelInferRequest): Promise<ModelInferResponse> => unary(client.modelInfer.bind(client), request);
  const blue = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 20, g: 20, b: 230 } } }).jpeg().toBuffer();

  const cnn = await infer(imageInfer('blue', 'tiny-cnn', blue));
  assert.equal(cnn.id, 'blue');
  assert.deepEqual(cnn.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]), [
    ['result', 'BYTES', [1]],
    ['class_ids', 'INT64', [3]],
    ['class_scores', 'FP32', [3]],
    ['class_labels', 'BYTES', [3]],
  ]);
  assert.deepEqual(int64sOf(outputOf(cnn, 'class_ids'))[0], 2n);
  assert.equal(stringsOf(outputOf(cnn, 'class_labels'))[0], 'blue');
  const scores = floatsOf(outputOf(cnn, 'class_scores'));
  assert.ok((scores[0] ?? 0) > 0.5 && scores.every((s, i) => i === 0 || s <= (scores[i - 1] ?? 0)), `scores best first: ${scores.join(', ')}`);
  const result = JSON.parse(stringsOf(outputOf(cnn, 'result'))[0] ?? '') as { classes: { label: string; index?: number }[]; imageWidth: number };
  assert.equal(result.classes[0]?.label, 'blue');
  assert.equal(result.imageWidth, 40);

  // Only the outputs asked for, in the order asked; the model's own tensor too when named.
  const asked = await infer(imageInfer('asked', 'tiny-cnn', blue, ['probs', 'class_labels']));
  assert.deepEqual(asked.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]), [['probs', 'FP32', [1, 3]], ['class_labels', 'BYTES', [3]]]);
  const probs = floatsOf(outputOf(asked, 'probs'));
  assert.equal(probs.indexOf(Math.max(...probs)), 2);

  // The image as typed contents, and the model's own input tensor by its name, work too.
  const typed = await infer(inferRequest({ model: 'tiny-cnn', inputs: [{ name: 'image', datatype: 'BYTES', shape: [1, 1], contents: { bytesContents: [blue] } }], outputs: ['class_labels'] }));
  assert.equal(stringsOf(outputOf(typed, 'class_labels'))[0], 'blue');
  const red = new Float32Array(3 * 32 * 32).fill(-1);
  red.fill(1, 0, 32 * 32);
  const tensor = await infer(inferRequest({ model: 'tiny-cnn', inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 3, 32, 32], raw: new Uint8Array(red.buffer) }], outputs: ['class_labels'] }));
  assert.equal(stringsOf(outputOf(tensor, 'class_labels'))[0], 'red');
  const wrongType = await failure(infer(inferRequest({ model: 'tiny-cnn', inputs: [{ name: 'image', datatype: 'INT32', shape: [1], raw: new Uint8Array(4) }] })));
  assert.equal(wrongType.code, status.INVALID_ARGUMENT);
  assert.match(wrongType.details, /input image is INT32 but model tiny-cnn takes FP32 \(or BYTES, one encoded image\)/);

  const grey = await solidPng(64, 64, [0, 0, 0]);
  const peaks = await infer(imageInfer('dark', 'tiny-heatmap', grey));
  assert.deepEqual(outputOf(peaks, 'points').shape, [0, 2]);
  assert.deepEqual(outputOf(peaks, 'point_channels').shape, [0]);
});

test('ppocr-det and the ocr pipeline read a BYTES page and answer with boxes, scores and text', async (t) => {
  const { address } = await startTestServer(t);
  const client = kserveClient(t, address);
  const infer = (request: ModelInferRequest): Promise<ModelInferResponse> => unary(client.modelInfer.bind(client), request);
  const page = await renderText(640, 240, [
    { text: 'Hello Sluice 2026', x: 30, y: 80, size: 44 },
    { text: 'streams of frames to models', x: 30, y: 180, size: 36 },
  ]);

  const det = await infer(imageInfer('det', 'ppocr-det', page));
  const boxes = outputOf(det, 'boxes');
  assert.deepEqual(boxes.shape, [2, 4]);
  const [first, second] = [0, 1].map((i) => floatsOf(boxes).slice(i * 4, i * 4 + 4)).sort((p, q) => (p[1] ?? 0) - (q[1] ?? 0));
  // The first baseline is at y=80 with 44px glyphs: x_min, y_min, x_max, y_max span roughly 30..450, 45..92.
  assert.ok(first !== undefined && (first[0] ?? 99) < 60 && (first[1] ?? 0) > 25 && (first[1] ?? 99) < 60 && (first[2] ?? 0) > 400 && (first[3] ?? 0) > 75, `${first}`);
  assert.ok(second !== undefined && (second[1] ?? 0) > 105, `${second}`);
  assert.deepEqual(outputOf(det, 'scores').shape, [2]);
  const detJson = JSON.parse(stringsOf(outputOf(det, 'result'))[0] ?? '') as { detections: { polygon: unknown[] }[]; imageHeight: number };
  assert.equal(detJson.detections.length, 2);
  assert.equal(detJson.detections[0]?.polygon.length, 4);
  assert.equal(detJson.imageHeight, 240);

  const ocr = await infer(imageInfer('ocr', 'ocr', page));
  assert.equal(ocr.modelName, 'ocr');
  const texts = stringsOf(outputOf(ocr, 'texts'));
  const ys = floatsOf(outputOf(ocr, 'boxes')).filter((_, i) => i % 4 === 1);
  const ordered = texts.map((text, i) => ({ text, y: ys[i] ?? 0 })).sort((p, q) => p.y - q.y);
  assert.deepEqual(ordered.map((l) => squash(l.text)), ['HelloSluice2026', 'streamsofframestomodels']);
  assert.ok(floatsOf(outputOf(ocr, 'text_scores')).every((s) => s > 0.9));
  const ocrJson = JSON.parse(stringsOf(outputOf(ocr, 'result'))[0] ?? '') as { detections: { text: string; label: string }[] };
  assert.deepEqual(new Set(ocrJson.detections.map((d) => squash(d.text))), new Set(['HelloSluice2026', 'streamsofframestomodels']));

  const line = await renderText(320, 48, [{ text: 'sluice', x: 10, y: 36, size: 32 }]);
  const rec = await infer(imageInfer('rec', 'ppocr-rec', line, ['text', 'text_score']));
  assert.deepEqual(rec.outputs.map((o) => o.name), ['text', 'text_score']);
  assert.equal(squash(stringsOf(outputOf(rec, 'text'))[0] ?? ''), 'sluice');

  // The pipeline takes images only.
  const tensors = await failure(infer({ ...addInfer('x', [1, 1, 1, 1], [1, 1, 1, 1]), modelName: 'ocr' }));
  assert.equal(tensors.code, status.INVALID_ARGUMENT);
  assert.match(tensors.details, /model ocr has no input "a"; it takes image BYTES \[1\]/);
});
