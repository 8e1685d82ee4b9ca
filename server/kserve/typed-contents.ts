/**
 * An input's elements sent as typed lists (`contents.fp32_contents`...) rather than raw bytes,
 * turned into the raw little-endian bytes the request path carries. This is the JSON-friendly form
 * (grpcurl, hand-written requests), not the hot path: the values get a buffer of their own.
 */
import type { InferTensorContents } from '../../gen/ts/inference/grpc_service.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError } from '../errors.js';

type IntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

const invalid = (message: string): never => {
  throw new SluiceError('INVALID_INPUT', message);
};

/** Where each type's values go, and how they become bytes. */
interface Field {
  readonly field: string;
  readonly values: (c: InferTensorContents) => readonly (number | bigint | boolean)[];
  readonly bytes: (c: InferTensorContents) => ArrayBufferView;
}

const ints = (make: new (values: readonly number[]) => IntArray, min: number, max: number) => (values: readonly number[], field: string): IntArray => {
  for (const v of values) if (v < min || v > max) invalid(`${field} holds ${v}, out of range [${min}, ${max}] for the input's datatype`);
  return new make(values);
};

const FIELDS: ReadonlyMap<DataType, Field> = new Map<DataType, Field>([
  [DataType.DATA_TYPE_BOOL, { field: 'bool_contents', values: (c) => c.boolContents, bytes: (c) => Uint8Array.from(c.boolContents, (b) => (b ? 1 : 0)) }],
  [DataType.DATA_TYPE_INT8, { field: 'int_contents', values: (c) => c.intContents, bytes: (c) => ints(Int8Array, -128, 127)(c.intContents, 'int_contents') }],
  [DataType.DATA_TYPE_INT16, { field: 'int_contents', values: (c) => c.intContents, bytes: (c) => ints(Int16Array, -32768, 32767)(c.intContents, 'int_contents') }],
  [DataType.DATA_TYPE_INT32, { field: 'int_contents', values: (c) => c.intContents, bytes: (c) => Int32Array.from(c.intContents) }],
  [DataType.DATA_TYPE_INT64, { field: 'int64_contents', values: (c) => c.int64Contents, bytes: (c) => BigInt64Array.from(c.int64Contents) }],
  [DataType.DATA_TYPE_UINT8, { field: 'uint_contents', values: (c) => c.uintContents, bytes: (c) => ints(Uint8Array, 0, 255)(c.uintContents, 'uint_contents') }],
  [DataType.DATA_TYPE_UINT16, { field: 'uint_contents', values: (c) => c.uintContents, bytes: (c) => ints(Uint16Array, 0, 65535)(c.uintContents, 'uint_contents') }],
  [DataType.DATA_TYPE_UINT32, { field: 'uint_contents', values: (c) => c.uintContents, bytes: (c) => Uint32Array.from(c.uintContents) }],
  [DataType.DATA_TYPE_UINT64, { field: 'uint64_contents', values: (c) => c.uint64Contents, bytes: (c) => BigUint64Array.from(c.uint64Contents) }],
  [DataType.DATA_TYPE_FLOAT32, { field: 'fp32_contents', values: (c) => c.fp32Contents, bytes: (c) => Float32Array.from(c.fp32Contents) }],
  [DataType.DATA_TYPE_FLOAT64, { field: 'fp64_contents', values: (c) => c.fp64Contents, bytes: (c) => Float64Array.from(c.fp64Contents) }],
]);

/**
 * The raw bytes of input `name` (of type `dtype`, `count` elements, described as `datatype`) from
 * its typed contents; INVALID_INPUT naming the input when they do not fit.
 */
export function bytesOfContents(name: string, datatype: string, dtype: DataType, contents: InferTensorContents, count: number): Uint8Array {
  const field = FIELDS.get(dtype);
  if (field === undefined) invalid(`input ${name} is ${datatype}, which has no typed contents: send its elements in raw_input_contents`);
  const { field: fieldName, values, bytes } = field as Field;
  const given = values(contents).length;
  if (given !== count) {
    invalid(`input ${name} is ${datatype} with ${count} elements, but contents.${fieldName} holds ${given} values${given === 0 ? ` (${datatype} values go in ${fieldName})` : ''}`);
  }
  const view = bytes(contents);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
