import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataType, PixelFormat, PredictRequest } from '../../client/index.js';
import { encodePredictRequest } from '../../client/predict-request-codec.js';

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const base: PredictRequest = { id: '', model: '', inputs: [], image: undefined, returnTensors: false, streamOptions: undefined };

const requests: [string, PredictRequest][] = [
  ['a small tensor request', { ...base, id: 'a', model: 'add', inputs: [{ name: 'a', dtype: DataType.DATA_TYPE_FLOAT32, shape: [1n, 4n], rawData: bytes(16, 1), floatData: [] }] }],
  [
    'two large tensors, one empty, with float_data and stream options',
    {
      ...base,
      id: 'frame-7',
      model: 'm',
      returnTensors: true,
      inputs: [
        { name: 'x', dtype: DataType.DATA_TYPE_FLOAT32, shape: [1n, 3n, 320n, 320n], rawData: bytes(3 * 320 * 320 * 4, 2), floatData: [] },
        { name: 'y', dtype: DataType.DATA_TYPE_FLOAT32, shape: [2n], rawData: new Uint8Array(0), floatData: [1.5, -2] },
        { name: 'z', dtype: DataType.DATA_TYPE_UINT8, shape: [200000n], rawData: bytes(200_000, 3), floatData: [] },
      ],
      streamOptions: { order: 2, maxInFlight: 4, dropPolicy: 2, itemTimeoutMs: 2 ** 32 - 1, publish: 'cam', private: true },
    },
  ],
  ['a large raw image', { ...base, id: 'img', model: 'ppocr-det', image: { data: bytes(1024 * 1024 * 3, 4), width: 1024, height: 1024, pixelFormat: PixelFormat.PIXEL_FORMAT_RGB8 } }],
  ['a large tensor beside an image field left empty', { ...base, image: { data: new Uint8Array(0), width: 1, height: 1, pixelFormat: 0 }, inputs: [{ name: 'x', dtype: 1, shape: [], rawData: bytes(70_000, 5), floatData: [] }] }],
];

for (const [what, request] of requests) {
  test(`${what} reads back as the generated decoder sees it, at the generated encoder's size`, () => {
    const encoded = encodePredictRequest(request);
    const generated = PredictRequest.encode(request).finish();
    assert.equal(encoded.byteLength, generated.byteLength);
    // Payloads compared as bytes, the rest as values (a failing deepEqual on megabytes would print them).
    const strip = (r: PredictRequest) => ({
      ...r,
      inputs: r.inputs.map((t) => ({ ...t, rawData: Buffer.from(t.rawData).toString('base64').length })),
      image: r.image === undefined ? undefined : { ...r.image, data: r.image.data.byteLength },
    });
    const [ours, theirs] = [PredictRequest.decode(encoded), PredictRequest.decode(generated)];
    assert.deepEqual(strip(ours), strip(theirs));
    ours.inputs.forEach((t, i) => assert.ok(Buffer.from(t.rawData).equals(Buffer.from(theirs.inputs[i]?.rawData ?? [])), `input ${t.name}`));
    assert.ok(Buffer.from(ours.image?.data ?? []).equals(Buffer.from(theirs.image?.data ?? [])), 'image data');
  });
}
