/**
 * Request builders for tests.
 */
import { DataType, type PredictRequest, PredictResponse, PixelFormat } from '../../client/index.js';

/** A request for the `add` model: a + b for `rows` rows of 4 floats. */
export function addRequest(id: string, a: readonly number[], b: readonly number[], model = 'add'): PredictRequest {
  const rows = a.length / 4;
  const tensor = (name: string, values: readonly number[]) => ({
    name,
    dtype: DataType.DATA_TYPE_FLOAT32,
    shape: [BigInt(rows), 4n],
    rawData: Buffer.from(new Float32Array(values).buffer),
    floatData: [],
  });
  return { id, model, inputs: [tensor('a', a), tensor('b', b)], image: undefined, returnTensors: false, streamOptions: undefined };
}

/** A request carrying encoded image bytes. */
export function imageItem(id: string, model: string, data: Uint8Array): PredictRequest {
  return {
    id,
    model,
    inputs: [],
    image: { data: Buffer.from(data), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED },
    returnTensors: false,
    streamOptions: undefined,
  };
}

/** Reads a float32 output tensor of a response. */
export function floatOutput(response: PredictResponse, name: string): number[] {
  if (response.result?.$case !== 'prediction') throw new Error(`expected a prediction, got ${describeResult(response)}`);
  const prediction = response.result.value;
  const tensor = prediction.outputs.find((o) => o.name === name);
  if (tensor === undefined) throw new Error(`no output ${name}`);
  const bytes = new Uint8Array(tensor.rawData); // a copy: Buffer.slice() would share the pooled buffer
  return [...new Float32Array(bytes.buffer, 0, bytes.byteLength / 4)];
}

/** A response's result in a line, for assertion messages. */
export function describeResult(response: PredictResponse): string {
  return JSON.stringify(PredictResponse.toJSON(response));
}
