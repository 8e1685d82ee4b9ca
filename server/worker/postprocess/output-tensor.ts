import { SluiceError } from '../../errors.js';

/**
 * One item's output tensor as postprocessors read it: float32 values, row-major, with the batch
 * dimension kept and equal to 1 (the worker slices a batched run per item before postprocessing).
 */
export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * Checks that `tensor` is one item of `rank` dimensions whose leading dimension is 1 and whose
 * data fills its dims, and returns its dims. A mismatch is the model's or the configuration's
 * fault, not the client's, so it is INTERNAL; `what` names the postprocessor and its expectation.
 */
export function checkItemTensor(tensor: OutputTensor, rank: number, what: string): readonly number[] {
  const { dims, data } = tensor;
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length !== rank || dims[0] !== 1 || size !== data.length || dims.some((d) => !(d > 0))) {
    throw new SluiceError(
      'INTERNAL',
      `${what}: output has shape [${dims.join(', ')}] and ${data.length} values`,
    );
  }
  return dims;
}
