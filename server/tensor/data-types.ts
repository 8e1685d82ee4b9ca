/**
 * Element types: the protocol's `DataType`, onnxruntime's type names and byte widths, in one table.
 */
import { DataType, dataTypeToJSON } from '../../gen/ts/sluice/v1/tensor.js';

/** onnxruntime-node's name for a tensor element type. */
export type OrtTypeName =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

interface DataTypeInfo {
  readonly ort: OrtTypeName;
  readonly bytes: number;
}

const TABLE: ReadonlyMap<DataType, DataTypeInfo> = new Map([
  [DataType.DATA_TYPE_FLOAT32, { ort: 'float32', bytes: 4 }],
  [DataType.DATA_TYPE_FLOAT64, { ort: 'float64', bytes: 8 }],
  [DataType.DATA_TYPE_FLOAT16, { ort: 'float16', bytes: 2 }],
  [DataType.DATA_TYPE_INT8, { ort: 'int8', bytes: 1 }],
  [DataType.DATA_TYPE_UINT8, { ort: 'uint8', bytes: 1 }],
  [DataType.DATA_TYPE_INT16, { ort: 'int16', bytes: 2 }],
  [DataType.DATA_TYPE_UINT16, { ort: 'uint16', bytes: 2 }],
  [DataType.DATA_TYPE_INT32, { ort: 'int32', bytes: 4 }],
  [DataType.DATA_TYPE_UINT32, { ort: 'uint32', bytes: 4 }],
  [DataType.DATA_TYPE_INT64, { ort: 'int64', bytes: 8 }],
  [DataType.DATA_TYPE_UINT64, { ort: 'uint64', bytes: 8 }],
  [DataType.DATA_TYPE_BOOL, { ort: 'bool', bytes: 1 }],
] as const);

const BY_ORT: ReadonlyMap<string, DataType> = new Map(
  [...TABLE].map(([dtype, info]) => [info.ort, dtype] as const),
);

/** True for the element types Sluice can carry. */
export function isSupportedDataType(dtype: DataType): boolean {
  return TABLE.has(dtype);
}

/** Bytes per element; throws for unsupported types (callers check `isSupportedDataType` first). */
export function bytesPerElement(dtype: DataType): number {
  return info(dtype).bytes;
}

export function toOrtType(dtype: DataType): OrtTypeName {
  return info(dtype).ort;
}

/** The protocol type of an onnxruntime type name, or undefined for types Sluice does not carry. */
export function fromOrtType(name: string): DataType | undefined {
  return BY_ORT.get(name);
}

/** Short lower-case name for messages: `float32`, `uint8`. */
export function dataTypeName(dtype: DataType): string {
  return TABLE.get(dtype)?.ort ?? dataTypeToJSON(dtype);
}

function info(dtype: DataType): DataTypeInfo {
  const found = TABLE.get(dtype);
  if (found === undefined) throw new RangeError(`unsupported data type ${dataTypeToJSON(dtype)}`);
  return found;
}

/** Number of elements of a shape; 1 for a scalar. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}
