/**
 * Typed views over raw little-endian tensor bytes, for onnxruntime. A view shares memory with the
 * bytes when they are aligned for the element type; otherwise the bytes are copied once.
 */
import type { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { bytesPerElement, toOrtType } from './data-types.js';

/** Typed arrays onnxruntime-node accepts for tensor data. */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorArray;

function constructorFor(dtype: DataType): ViewConstructor {
  switch (toOrtType(dtype)) {
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
    case 'float16':
    case 'uint16':
      return Uint16Array;
    case 'int8':
      return Int8Array;
    case 'uint8':
    case 'bool':
      return Uint8Array;
    case 'int16':
      return Int16Array;
    case 'int32':
      return Int32Array;
    case 'uint32':
      return Uint32Array;
    case 'int64':
      return BigInt64Array;
    case 'uint64':
      return BigUint64Array;
  }
}

/** A typed array of `dtype` over `bytes` (whose length is a multiple of the element size). */
export function typedView(dtype: DataType, bytes: Uint8Array): TensorArray {
  const width = bytesPerElement(dtype);
  const View = constructorFor(dtype);
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  return new View(aligned.buffer, aligned.byteOffset, aligned.byteLength / width);
}

/** A typed array of `dtype` with `length` elements at `byteOffset` (aligned for it) in `buffer`. */
export function typedViewAt(dtype: DataType, buffer: ArrayBuffer, byteOffset: number, length: number): TensorArray {
  return new (constructorFor(dtype))(buffer, byteOffset, length);
}


/** The bytes behind a typed array, as a view (no copy). */
export function bytesOf(array: TensorArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
