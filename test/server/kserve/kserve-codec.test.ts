import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../../../gen/ts/inference/grpc_service.js';
import { DataType } from '../../../gen/ts/sluice/v1/tensor.js';
import { createLogger } from '../../../server/index.js';
import { SluiceError } from '../../../server/errors.js';
import { type ReceivedPredict, withReply } from '../../../server/grpc/predict-codec.js';
import { createKserveCodec } from '../../../server/kserve/kserve-codec.js';
import { ModelRepository } from '../../../server/repository/model-repository.js';
import { errorResponse } from '../../../server/stream/response-builder.js';
import { addInfer, fp32, imageInfer, inferRequest } from '../../helpers/kserve-client.js';
import { MODELS_DIR } from '../../helpers/test-server.js';

const logger = createLogger({ level: 'silent', pretty: false });

/** `request` as grpc-js hands a received message to the deserializer: after its 5-byte frame header, in a buffer of its own. */
function received(request: ModelInferRequest): Buffer {
  const encoded = ModelInferRequest.encode(request).finish();
  const framed = Buffer.allocUnsafeSlow(5 + encoded.byteLength);
  framed.set(encoded, 5);
  return framed.subarray(5);
}

test('requests decode into items that keep views into the received message, which moves to the worker', async () => {
  const codec = createKserveCodec(await ModelRepository.load(MODELS_DIR), logger);
  const image = Buffer.alloc(64 * 1024, 7);
  const message = received(imageInfer('big', 'tiny-cnn', image));
  const item = codec.decodeRequest(message);
  assert.equal(item.refused, undefined);
  assert.equal(item.request?.image?.data.byteLength, image.byteLength);
  assert.equal(item.request?.image?.data.buffer, message.buffer, 'the image is a view, not a copy');
  assert.equal(item.owned, message.buffer, 'the message buffer moves to the worker as it is');
  assert.equal(item.bytes, message.byteLength);

  const rows = 256;
  const values = Array.from({ length: rows * 4 }, (_, i) => i);
  const tensors = received(addInfer('rows', values, values));
  const add = codec.decodeRequest(tensors);
  assert.deepEqual(add.request?.inputs.map((i) => [i.name, i.shape]), [['a', [BigInt(rows), 4n]], ['b', [BigInt(rows), 4n]]]);
  assert.ok(add.request?.inputs.every((i) => i.rawData.buffer === tensors.buffer), 'raw_input_contents stay views');
  assert.equal(add.owned, tensors.buffer);

  // Typed contents get bytes of their own: the message's buffer no longer holds every input.
  const typed = codec.decodeRequest(received(inferRequest({ model: 'add', inputs: ['a', 'b'].map((name) => ({ name, datatype: 'FP32', shape: [rows, 4], contents: { fp32Contents: values } })) })));
  assert.equal(typed.refused, undefined);
  assert.equal(typed.owned, undefined);
  assert.deepEqual([...new Float32Array(new Uint8Array(typed.request?.inputs[0]?.rawData ?? []).buffer).slice(0, 3)], [0, 1, 2]);
});

test('requests that do not fit are refused with a stable code, naming a model only when the repository has it', async () => {
  const codec = createKserveCodec(await ModelRepository.load(MODELS_DIR), logger);
  const refusal = (item: ReceivedPredict): [string, string] => [item.refused?.error.code ?? 'accepted', item.refused?.model ?? ''];
  assert.deepEqual(refusal(codec.decodeRequest(received(addInfer('x', [1, 2, 3, 4], [1, 2, 3, 4])))), ['accepted', '']);
  assert.deepEqual(refusal(codec.decodeRequest(received({ ...addInfer('x', [1, 2, 3, 4], [1, 2, 3, 4]), modelName: 'no-such-model' }))), ['MODEL_NOT_FOUND', '']);
  assert.deepEqual(refusal(codec.decodeRequest(received(inferRequest({ model: 'add', inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 4], raw: fp32([1]) }] })))), ['INVALID_INPUT', 'add']);
  assert.deepEqual(refusal(codec.decodeRequest(Buffer.from([0x0a, 0xff]))), ['INVALID_INPUT', '']);
});

test('answers encode to the protocol with the request\'s id: outputs for a prediction, error_message for a failure', async () => {
  const codec = createKserveCodec(await ModelRepository.load(MODELS_DIR), logger);
  const item = codec.decodeRequest(received(addInfer('id-7', [1, 2, 3, 4], [1, 2, 3, 4])));
  const sum = { name: 'sum', dtype: DataType.DATA_TYPE_FLOAT32, shape: [1n, 4n], rawData: fp32([2, 4, 6, 8]), floatData: [] };
  const prediction = { outputs: [sum], classes: [], detections: [], points: [], text: '', textScore: 0, imageWidth: 0, imageHeight: 0 };
  const answer = withReply({ id: 'id-7', model: 'add', sequence: 0, result: { $case: 'prediction', value: prediction }, timings: undefined, batchSize: 1 }, item.reply);

  const unaryAnswer = ModelInferResponse.decode(codec.encodeResponse(answer));
  assert.equal(unaryAnswer.id, 'id-7');
  assert.deepEqual(unaryAnswer.outputs.map((o) => [o.name, o.datatype, o.shape]), [['sum', 'FP32', [1n, 4n]]]);
  assert.deepEqual(new Uint8Array(unaryAnswer.rawOutputContents[0] ?? []), fp32([2, 4, 6, 8]));

  const streamed = ModelStreamInferResponse.decode(codec.encodeStreamResponse(answer));
  assert.equal(streamed.errorMessage, '');
  assert.equal(streamed.inferResponse?.id, 'id-7');

  const failed = withReply(errorResponse('id-7', 'add', 0, new SluiceError('DEADLINE_EXCEEDED', 'too late'), logger), item.reply);
  const error = ModelStreamInferResponse.decode(codec.encodeStreamResponse(failed));
  assert.equal(error.errorMessage, 'DEADLINE_EXCEEDED: too late');
  assert.deepEqual([error.inferResponse?.id, error.inferResponse?.modelName, error.inferResponse?.outputs.length], ['id-7', 'add', 0]);
});
