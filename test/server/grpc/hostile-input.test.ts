import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { DataType, DropPolicy, GrpcStatus, PredictRequest, PredictResponse, type Tensor } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

async function collect(stream: AsyncIterable<PredictResponse>): Promise<PredictResponse[]> {
  const responses: PredictResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

const codeOf = (r: PredictResponse | undefined): number | string | undefined => (r?.result?.$case === 'error' ? r.result.value.code : r?.result?.$case);
const messageOf = (r: PredictResponse | undefined): string => (r?.result?.$case === 'error' ? r.result.value.message : '');

function detectorTensor(id: string, shape: bigint[]): PredictRequest {
  const elements = shape.reduce((a, b) => a * b, 1n);
  const bytes = elements > 0n && elements < 1_000_000n ? Number(elements) * 4 : 0;
  const tensor: Tensor = { name: 'x', dtype: DataType.DATA_TYPE_FLOAT32, shape, rawData: new Uint8Array(bytes), floatData: [] };
  return { id, model: 'ppocr-det', inputs: [tensor], image: undefined, returnTensors: false, streamOptions: undefined };
}

test('shapes beyond 2^53, negative, zero-size or too large are refused on their item, and the stream goes on', async (t) => {
  const { client } = await startTestServer(t);
  const huge = 2n ** 63n - 1n;
  const requests: PredictRequest[] = [
    addRequest('before', [1, 2, 3, 4], [1, 1, 1, 1]),
    detectorTensor('int64-max', [1n, 3n, huge, 32n]),
    detectorTensor('negative', [1n, 3n, -5n, 32n]),
    detectorTensor('zero-spatial', [1n, 3n, 0n, 0n]),
    detectorTensor('zero-batch', [0n, 3n, 32n, 32n]),
    detectorTensor('too-many-elements', [1n, 3n, 2n ** 40n, 2n ** 20n]),
    addRequest('after', [1, 2, 3, 4], [1, 1, 1, 1]),
  ];
  const responses = await collect(client.predictStream(requests));
  assert.deepEqual(responses.map((r) => r.id), requests.map((r) => r.id));
  assert.equal(codeOf(responses[0]), 'prediction');
  for (const r of responses.slice(1, -1)) assert.equal(codeOf(r), GrpcStatus.INVALID_ARGUMENT, `${r.id}: ${messageOf(r)}`);
  assert.match(messageOf(responses[1]), /9223372036854775807/);
  assert.match(messageOf(responses[2]), /negative dimension -5/);
  assert.match(messageOf(responses[3]), /zero-size dimension at axis 2/);
  assert.match(messageOf(responses[4]), /zero-size dimension at axis 0/);
  assert.match(messageOf(responses[5]), /more elements than any tensor can hold/);
  assert.equal(codeOf(responses[6]), 'prediction');
});

test('a message that is not a PredictRequest is answered INVALID_ARGUMENT in-band, between answered items', async (t) => {
  const { address } = await startTestServer(t);
  const raw = new Client(address, credentials.createInsecure());
  t.after(() => raw.close());
  const call = raw.makeBidiStreamRequest(
    '/sluice.v1.InferenceService/Predict',
    (bytes: Buffer) => bytes,
    (bytes: Buffer) => PredictResponse.decode(bytes),
  );
  const encode = (request: PredictRequest): Buffer => Buffer.from(PredictRequest.encode(request).finish());
  call.write(encode(addRequest('a', [1, 1, 1, 1], [1, 1, 1, 1])));
  call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])); // a length far past the end
  call.write(encode(addRequest('c', [1, 1, 1, 1], [1, 1, 1, 1])));
  call.end();
  const responses = await collect(call as AsyncIterable<PredictResponse>);
  assert.deepEqual(responses.map((r) => codeOf(r)), ['prediction', GrpcStatus.INVALID_ARGUMENT, 'prediction']);
  assert.deepEqual(responses.map((r) => r.sequence), [0, 1, 2]);
  assert.match(messageOf(responses[1]), /message 1 of the stream is not a valid PredictRequest/);
});

test('an item timeout beyond what a timer can hold is clamped, not turned into an instant expiry', async (t) => {
  const { client } = await startTestServer(t);
  const requests = [addRequest('0', [1, 1, 1, 1], [1, 1, 1, 1]), addRequest('1', [2, 2, 2, 2], [1, 1, 1, 1])];
  const responses = await collect(client.predictStream(requests, { streamOptions: { itemTimeoutMs: 2 ** 32 - 1 } }));
  assert.deepEqual(responses.map((r) => codeOf(r)), ['prediction', 'prediction']);
});

test('with drop-oldest, an invalid item never pushes out a waiting valid one', async (t) => {
  const { client } = await startTestServer(t, { workers: 1 });
  const page = await renderText(960, 960, [{ text: 'a slow frame', x: 80, y: 480, size: 90 }]);
  const requests = [
    imageItem('running', 'ppocr-det', page),
    imageItem('waiting', 'ppocr-det', page),
    detectorTensor('invalid', [1n, 3n, 0n, 0n]),
  ];
  const responses = await collect(client.predictStream(requests, { streamOptions: { dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST, maxInFlight: 2 } }));
  assert.deepEqual(responses.map((r) => [r.id, codeOf(r)]), [
    ['running', 'prediction'],
    ['waiting', 'prediction'],
    ['invalid', GrpcStatus.INVALID_ARGUMENT],
  ]);
});

test('errors quoting huge client strings get a bounded status, and the connection keeps working', async (t) => {
  const { client } = await startTestServer(t);
  const refusals: [string, () => Promise<unknown>][] = [
    ['PredictOne, a 100000-character model name', () => client.predictOne({ ...addRequest('1', [1, 2, 3, 4], [1, 1, 1, 1]), model: 'm'.repeat(100_000) }, { timeoutMs: 10_000 })],
    ['GetModel, 30000 two-byte characters', () => client.getModel('é'.repeat(30_000), { timeoutMs: 10_000 })],
    ['PredictOne, a 20000-character input name', () => client.predictOne({ ...addRequest('2', [1, 2, 3, 4], [1, 1, 1, 1]), inputs: [{ ...addRequest('3', [1, 2, 3, 4], [1, 1, 1, 1]).inputs[0]!, name: '\u{1F600}'.repeat(20_000) }] }, { timeoutMs: 10_000 })],
  ];
  for (const [what, call] of refusals) {
    const err = await call().then(() => assert.fail(`${what} succeeded`), (e: unknown) => e as { code: number; details: string });
    assert.ok(err.code === GrpcStatus.NOT_FOUND || err.code === GrpcStatus.INVALID_ARGUMENT, `${what}: ${err.code} ${err.details?.slice(0, 80)}`);
    assert.ok(encodeURI(err.details).length <= 2048, `${what}: ${err.details.length} characters`);
    assert.match(err.details, /\[message shortened\]$/);
  }
  // The same connection still serves.
  const after = await client.predictOne(addRequest('after', [1, 2, 3, 4], [1, 1, 1, 1]), { timeoutMs: 10_000 });
  assert.equal(after.result?.$case, 'prediction');
});
