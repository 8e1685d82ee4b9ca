/**
 * The Open Inference Protocol's tensor datatypes (`"FP32"`, `"INT64"`, `"BYTES"`...) and how they
 * map to Sluice's `DataType` and to Triton's model configuration types (`TYPE_FP32`...), in one
 * table. BYTES has no Sluice tensor type: Sluice takes it only as an encoded image, and answers
 * with it for text and JSON.
 */
import { DataType as ConfigDataType } from '../../gen/ts/inference/model_config.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';

/** The datatype of variable-length byte strings (each element prefixed by its 4-byte length). */
export const BYTES = 'BYTES';

const TABLE: readonly (readonly [string, DataType, ConfigDataType])[] = [
  ['BOOL', DataType.DATA_TYPE_BOOL, ConfigDataType.TYPE_BOOL],
  ['UINT8', DataType.DATA_TYPE_UINT8, ConfigDataType.TYPE_UINT8],
  ['UINT16', DataType.DATA_TYPE_UINT16, ConfigDataType.TYPE_UINT16],
  ['UINT32', DataType.DATA_TYPE_UINT32, ConfigDataType.TYPE_UINT32],
  ['UINT64', DataType.DATA_TYPE_UINT64, ConfigDataType.TYPE_UINT64],
  ['INT8', DataType.DATA_TYPE_INT8, ConfigDataType.TYPE_INT8],
  ['INT16', DataType.DATA_TYPE_INT16, ConfigDataType.TYPE_INT16],
  ['INT32', DataType.DATA_TYPE_INT32, ConfigDataType.TYPE_INT32],
  ['INT64', DataType.DATA_TYPE_INT64, ConfigDataType.TYPE_INT64],
  ['FP16', DataType.DATA_TYPE_FLOAT16, ConfigDataType.TYPE_FP16],
  ['FP32', DataType.DATA_TYPE_FLOAT32, ConfigDataType.TYPE_FP32],
  ['FP64', DataType.DATA_TYPE_FLOAT64, ConfigDataType.TYPE_FP64],
];

const BY_DATATYPE: ReadonlyMap<string, DataType> = new Map(TABLE.map(([datatype, dtype]) => [datatype, dtype] as const));
const BY_DTYPE: ReadonlyMap<DataType, string> = new Map(TABLE.map(([datatype, dtype]) => [dtype, datatype] as const));
const CONFIG_TYPE: ReadonlyMap<string, ConfigDataType> = new Map([...TABLE.map(([datatype, , type]) => [datatype, type] as const), [BYTES, ConfigDataType.TYPE_STRING]]);

/** Every datatype a request may use, for messages. */
export const DATATYPES: readonly string[] = Object.freeze([...TABLE.map(([datatype]) => datatype), BYTES]);

/** The Sluice type of a numeric or boolean datatype; undefined for BYTES and unknown names. */
export function dtypeOfDatatype(datatype: string): DataType | undefined {
  return BY_DATATYPE.get(datatype);
}

/** The datatype of a Sluice type (every type Sluice carries has one). */
export function datatypeOf(dtype: DataType): string {
  const datatype = BY_DTYPE.get(dtype);
  if (datatype === undefined) throw new RangeError(`no datatype for Sluice type ${dtype}`);
  return datatype;
}

/** The model configuration type of a datatype (`FP32` -> TYPE_FP32, `BYTES` -> TYPE_STRING). */
export function configTypeOf(datatype: string): ConfigDataType {
  return CONFIG_TYPE.get(datatype) ?? ConfigDataType.TYPE_INVALID;
}
