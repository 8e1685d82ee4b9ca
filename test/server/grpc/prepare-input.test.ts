import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataType, GrpcStatus, type PredictRequest, type PredictResponse, isServiceError } from '../../../client/index.js';
import { SluiceError } from '../../../server/errors.js';
import { prepareInput } from '../../../server/grpc/prepare-input.js';
import { loadModel } from '../../../server/repository/load-model.js';
import { MODELS_DIR, startTestServer } from '../../helpers/test-server.js';

/** A float32 tensor for the detector's input `x`, of zeros. */
function detectorTensor(id: string, shape: readonly number[]): PredictRequest {
  const elements = shape.reduce((a, b) => a * b, 1);
  const tensor = { name: 'x', dtype: DataType.DATA_TYPE_FLOAT32, shape: shape.map(BigInt), rawData: new Uint8Array(elements * 4), floatData: [] };
  return { id, model: 'ppocr-det', inputs: [tensor], image: undefined, returnTensors: false, streamOptions: undefined };
}

const refusal = (pattern: RegExp) => (err: unknown) => isServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT && pattern.test(err.details);
const caseOf = (r: PredictResponse | undefined): string | number | undefined => (r?.result?.$case === 'error' ? r.result.value.code : r?.result?.$case);

async function collect(stream: AsyncIterable<PredictResponse>): Promise<PredictResponse[]> {
  const responses: PredictResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

test('a tensor for an image input is held to the largest size the model preprocesses images to', async () => {
  const detector = await loadModel(join(MODELS_DIR, 'ppocr-det'));
  const received = { bytes: 0, owned: undefined };
  const limits = { maxImagePixels: 40_000_000 };
  const prepare = (shape: readonly number[]) => prepareInput(detectorTensor('t', shape), detector, received, limits);
  // Its images become at most 960 x 960 (FIT_STRIDE in a 960 box).
  assert.equal(prepare([1, 3, 960, 960]).input.kind, 'tensors');
  const isCode = (code: string) => (err: unknown) => err instanceof SluiceError && err.code === code;
  assert.throws(() => prepare([1, 3, 2300, 2300]), isCode('INVALID_INPUT'));
  assert.throws(() => prepare([1, 3, 992, 32]), isCode('INVALID_INPUT'));
  assert.throws(() => prepare([1, 3, 32, 992]), isCode('INVALID_INPUT'));
  // And to the server's pixel limit, which may be lower.
  const small = { maxImagePixels: 64 * 64 };
  assert.equal(prepareInput(detectorTensor('t', [1, 3, 64, 64]), detector, received, small).input.kind, 'tensors');
  assert.throws(() => prepareInput(detectorTensor('t', [1, 3, 96, 96]), detector, received, small), isCode('IMAGE_TOO_LARGE'));
});

test('PredictOne refuses a detector tensor larger than its images ever are, naming the input and the dimension', async (t) => {
  const { client } = await startTestServer(t);
  await assert.rejects(client.predictOne(detectorTensor('tall', [1, 3, 992, 32])), refusal(/input x .*height 992.* 960/));
  await assert.rejects(client.predictOne(detectorTensor('wide', [1, 3, 32, 1024])), refusal(/input x .*width 1024.* 960/));
  const atBound = await client.predictOne(detectorTensor('at-bound', [1, 3, 960, 32]));
  assert.equal(atBound.result?.$case, 'prediction');
});

test('on a stream, the oversized tensor is refused on its item and the stream goes on', async (t) => {
  const { client } = await startTestServer(t);
  const requests = [detectorTensor('before', [1, 3, 64, 64]), detectorTensor('huge', [1, 3, 2300, 2300]), detectorTensor('after', [1, 3, 64, 64])];
  const responses = await collect(client.predictStream(requests));
  assert.deepEqual(responses.map((r) => [r.id, caseOf(r)]), [
    ['before', 'prediction'],
    ['huge', GrpcStatus.INVALID_ARGUMENT],
    ['after', 'prediction'],
  ]);
});

test('a tensor for an image input is held to --max-image-pixels', async (t) => {
  const { client } = await startTestServer(t, { maxImagePixels: 64 * 64 });
  await assert.rejects(client.predictOne(detectorTensor('over', [1, 3, 96, 96])), refusal(/input x .*9216 pixels.*4096/));
  const within = await client.predictOne(detectorTensor('within', [1, 3, 64, 64]));
  assert.equal(within.result?.$case, 'prediction');
});
