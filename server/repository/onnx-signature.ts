/**
 * Reads the inputs and outputs an ONNX file declares. Runs once per model at start-up; symbolic
 * dimensions (`batch`, `p2o.DynamicDimension.0`) become -1.
 */
import * as ort from 'onnxruntime-node';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { fromOrtType } from '../tensor/data-types.js';

/** Declared inputs and outputs of a model file. */
export interface OnnxSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

function toSpec(meta: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) return { name: meta.name, dtype: DataType.DATA_TYPE_UNSPECIFIED, shape: [] };
  return {
    name: meta.name,
    dtype: fromOrtType(meta.type) ?? DataType.DATA_TYPE_UNSPECIFIED,
    shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? BigInt(dim) : -1n)),
  };
}

/** Opens the file in a throwaway single-threaded session and reads its signature. */
export async function readOnnxSignature(modelPath: string): Promise<OnnxSignature> {
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
