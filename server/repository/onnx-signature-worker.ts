/**
 * Entry point of the thread that reads ONNX signatures (a piscina task module). Opening a model
 * is native work that blocks its thread for as long as the file takes to parse, so it never
 * happens on the main thread, which serves requests meanwhile.
 */
import * as ort from 'onnxruntime-node';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { fromOrtType } from '../tensor/data-types.js';
import type { OnnxSignature } from './onnx-signature.js';

function toSpec(meta: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) return { name: meta.name, dtype: DataType.DATA_TYPE_UNSPECIFIED, shape: [] };
  return {
    name: meta.name,
    dtype: fromOrtType(meta.type) ?? DataType.DATA_TYPE_UNSPECIFIED,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? BigInt(dim) : -1n)),
  };
}

/** Opens the file in a throwaway single-threaded session and reads its signature. */
export default async function readSignature(modelPath: string): Promise<OnnxSignature> {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'disabled',
  });
  try {
    return { inputs: session.inputMetadata.map(toSpec), outputs: session.outputMetadata.map(toSpec) };
  } finally {
    await session.release();
  }
}
