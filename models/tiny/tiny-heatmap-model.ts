import { OnnxGraph } from './onnx-graph.js';

const SIZE = 64;
/** Brightness (0..1) at which the heatmap crosses 0.5; above mid-grey, so grey stays low. */
const MIDPOINT = 0.75;
/** Steepness of the sigmoid: white maps to about 0.98, mid-grey to about 0.02. */
const GAIN = 16;

/**
 * Builds `tiny-heatmap`: `heatmap = sigmoid((image - 0.75) * 16)` per pixel, so bright spots in a
 * darker grey image become peaks for the peak postprocessor.
 */
export function buildTinyHeatmapModel(): Uint8Array {
  const graph = new OnnxGraph('tiny-heatmap');
  const image = graph.input('image', 'float32', ['batch', 1, SIZE, SIZE]);
  const shifted = graph.node('Sub', [image, graph.constant('midpoint', 'float32', [], [MIDPOINT])]);
  const scaled = graph.node('Mul', [shifted, graph.constant('gain', 'float32', [], [GAIN])]);
  const heatmap = graph.output('heatmap', 'float32', ['batch', 1, SIZE, SIZE]);
  graph.node('Sigmoid', [scaled], { outputs: [heatmap] });
  return graph.toModel({ docString: 'sigmoid((image - 0.75) * 16): bright spots become peaks.' });
}
