import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictResponse } from '../../../../client/index.js';
import { planTensorBatch, splitBatchResponse, tensorBatchRequest, topK } from '../../../../client/cli/stream/tensor-batch.js';
import { ChannelOrder, Layout, ModelConfig, ResizeMode } from '../../../../gen/ts/sluice/v1/model_config.js';
import { DataType } from '../../../../gen/ts/sluice/v1/tensor.js';
import type { Frame } from '../../../../client/sources/frame.js';
import { solidPng } from '../../../helpers/images.js';

const tinyCnn = ModelConfig.fromPartial({
  name: 'tiny-cnn',
  maxBatchSize: 16,
  inputs: [{ name: 'image', dtype: DataType.DATA_TYPE_FLOAT32, shape: [-1n, 3n, 32n, 32n] }],
  outputs: [{ name: 'probs', dtype: DataType.DATA_TYPE_FLOAT32, shape: [-1n, 3n] }],
  preprocessing: { width: 32, height: 32, resizeMode: ResizeMode.RESIZE_MODE_STRETCH, layout: Layout.LAYOUT_NCHW, channelOrder: ChannelOrder.CHANNEL_ORDER_RGB, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  postprocessor: { kind: { $case: 'classification', value: { output: '', topK: 2, softmax: false } } },
  labels: ['red', 'green', 'blue'],
});

const frame = async (id: string, rgb: [number, number, number]): Promise<Frame> => ({ index: Number(id), id, data: await solidPng(50, 20, rgb), encoding: 'png', width: 0, height: 0 });

test('frames become rows of one normalised float32 tensor, as the model config says', async () => {
  const plan = planTensorBatch(tinyCnn, 4);
  const request = await tensorBatchRequest([await frame('0', [255, 0, 0]), await frame('1', [0, 0, 255])], plan, '0..1');
  const [tensor] = request.inputs;
  assert.deepEqual([request.id, request.returnTensors, tensor?.name, tensor?.shape], ['0..1', true, 'image', [2n, 3n, 32n, 32n]]);
  const values = new Float32Array(new Uint8Array(tensor?.rawData ?? []).buffer);
  const plane = 32 * 32;
  // (255 / 255 - 0.5) / 0.5 = 1 and (0 - 0.5) / 0.5 = -1, channel by channel.
  assert.deepEqual([values[0], values[plane], values[2 * plane]], [1, -1, -1]);
  assert.deepEqual([values[3 * plane], values[4 * plane], values[5 * plane + 5]], [-1, -1, 1]);

  const bgr = planTensorBatch({ ...tinyCnn, preprocessing: { ...tinyCnn.preprocessing!, channelOrder: ChannelOrder.CHANNEL_ORDER_BGR, layout: Layout.LAYOUT_NHWC } }, 1);
  const [swapped] = (await tensorBatchRequest([await frame('0', [255, 0, 0])], bgr, '0')).inputs;
  assert.deepEqual(swapped?.shape, [1n, 32n, 32n, 3n]);
  assert.deepEqual([...new Float32Array(new Uint8Array(swapped?.rawData ?? []).buffer).subarray(0, 3)], [-1, -1, 1]);
});

test('an answer to a batch is split into one response per frame, with top-k classes', async () => {
  const plan = planTensorBatch(tinyCnn, 2);
  const frames = [await frame('7', [255, 0, 0]), await frame('8', [0, 255, 0])];
  const probs = new Float32Array([0.8, 0.15, 0.05, 0.1, 0.7, 0.2]);
  const response = PredictResponse.fromPartial({
    id: '7..8',
    model: 'tiny-cnn',
    result: { $case: 'prediction', value: { outputs: [{ name: 'probs', dtype: DataType.DATA_TYPE_FLOAT32, shape: [2n, 3n], rawData: Buffer.from(probs.buffer) }] } },
  });
  const [a, b] = splitBatchResponse(response, frames, plan);
  assert.equal(a?.id, '7');
  assert.equal(b?.batchSize, 2);
  const classes = (r: PredictResponse | undefined) => (r?.result?.$case === 'prediction' ? r.result.value.classes.map((c) => [c.label, Math.round(c.score * 100) / 100]) : []);
  assert.deepEqual(classes(a), [['red', 0.8], ['green', 0.15]]);
  assert.deepEqual(classes(b), [['green', 0.7], ['blue', 0.2]]);
  const failed = splitBatchResponse(PredictResponse.fromPartial({ id: '7..8', result: { $case: 'error', value: { code: 13, message: 'boom' } } }), frames, plan);
  assert.deepEqual(failed.map((r) => [r.id, r.result?.$case]), [['7', 'error'], ['8', 'error']]);
  assert.deepEqual(topK(new Float32Array([1, 3, 3]), 2, true, ['a', 'b']).map((c) => c.label), ['b', '2']);
});

test('models that cannot be batched by the client are refused with the reason', () => {
  const letterbox = { ...tinyCnn, preprocessing: { ...tinyCnn.preprocessing!, resizeMode: ResizeMode.RESIZE_MODE_LETTERBOX } };
  assert.throws(() => planTensorBatch(letterbox, 2), /sizes each image differently \(RESIZE_MODE_LETTERBOX\)/);
  assert.throws(() => planTensorBatch(tinyCnn, 17), /--client-batch 17 exceeds model tiny-cnn's max_batch_size 16/);
  const detector = { ...tinyCnn, postprocessor: { kind: { $case: 'textDetection' as const, value: { output: '', maxCandidates: 0 } } } };
  assert.throws(() => planTensorBatch(detector, 2), /textDetection postprocessor answers one image per request/);
  assert.throws(() => planTensorBatch({ ...tinyCnn, preprocessing: undefined }, 2), /takes tensors, not images/);
});
