import { attr, type ElementType, type OnnxGraph } from './onnx-graph.js';

/** What {@link expandPerBatch} repeats, and under which name. */
export interface PerBatchConstant {
  /** Name of the value to produce, usually a declared graph output. */
  readonly output: string;
  /** Element type of the constant and of the produced value. */
  readonly type: ElementType;
  /** Dimensions of one batch item, without the leading batch dimension. */
  readonly dims: readonly number[];
  /** Row-major values of one batch item. */
  readonly values: readonly number[];
}

/**
 * Adds nodes that repeat a constant once per item of `like`'s batch, giving
 * `[batch, ...constant.dims]`: the answer is the same for every image, and only the batch size is
 * taken from the input. Returns the name of the produced value.
 *
 * The batch size is read with `Shape` and the constant broadcast with `Expand`, rather than adding
 * `ReduceMean(x) * 0`: no arithmetic touches the input, so the answer stays exact even for NaN or
 * infinite pixels, and int64 outputs need no `Cast`.
 */
export function expandPerBatch(graph: OnnxGraph, like: string, constant: PerBatchConstant): string {
  const { output, type, dims, values } = constant;
  const value = graph.constant(`${output}.value`, type, [1, ...dims], values);
  const shape = graph.node('Shape', [like]);
  const batch = graph.node('Slice', [
    shape,
    graph.constant(`${output}.batch_start`, 'int64', [1], [0]),
    graph.constant(`${output}.batch_end`, 'int64', [1], [1]),
  ]);
  // Expand broadcasts, so ones in the target shape keep the constant's own dimensions.
  const target = graph.node(
    'Concat',
    [batch, graph.constant(`${output}.item_ones`, 'int64', [dims.length], dims.map(() => 1))],
    { attributes: { axis: attr.int(0) } },
  );
  return graph.node('Expand', [value, target], { outputs: [output] });
}
