import { OnnxGraph } from './onnx-graph.js';

/** Builds `add`: `sum = a + b` over float32 `[batch, 4]` inputs. The smallest model that batches. */
export function buildAddModel(): Uint8Array {
  const graph = new OnnxGraph('add');
  const a = graph.input('a', 'float32', ['batch', 4]);
  const b = graph.input('b', 'float32', ['batch', 4]);
  graph.node('Add', [a, b], { outputs: [graph.output('sum', 'float32', ['batch', 4])] });
  return graph.toModel({ docString: 'sum = a + b.' });
}
