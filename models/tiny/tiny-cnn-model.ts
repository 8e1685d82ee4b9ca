import { attr, OnnxGraph } from './onnx-graph.js';

const CHANNELS = 3;
const SIZE = 32;

/**
 * Builds `tiny-cnn`, a three-class image classifier whose answer is the image's dominant colour.
 *
 * Conv (each output channel copies its input channel through the centre tap) -> Relu ->
 * GlobalAveragePool -> Flatten -> Gemm (10 x identity) -> Softmax. With pixels normalised to
 * [-1, 1], Relu keeps how much brighter than mid-grey each channel is, and the largest average wins.
 */
export function buildTinyCnnModel(): Uint8Array {
  const graph = new OnnxGraph('tiny-cnn');
  const image = graph.input('image', 'float32', ['batch', CHANNELS, SIZE, SIZE]);

  const convWeights = new Array<number>(CHANNELS * CHANNELS * 3 * 3).fill(0);
  for (let c = 0; c < CHANNELS; c++) {
    // Weight layout is [out, in, kh, kw]; element 4 of a 3x3 kernel is its centre.
    convWeights[(c * CHANNELS + c) * 9 + 4] = 1;
  }
  const fcWeights = new Array<number>(CHANNELS * CHANNELS).fill(0);
  for (let c = 0; c < CHANNELS; c++) {
    // A large gain, so that a clearly dominant colour gets a confident probability.
    fcWeights[c * CHANNELS + c] = 10;
  }
  const zeros = new Array<number>(CHANNELS).fill(0);

  const conv = graph.node(
    'Conv',
    [
      image,
      graph.constant('conv.weight', 'float32', [CHANNELS, CHANNELS, 3, 3], convWeights),
      graph.constant('conv.bias', 'float32', [CHANNELS], zeros),
    ],
    { attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) } },
  );
  const relu = graph.node('Relu', [conv]);
  const pooled = graph.node('GlobalAveragePool', [relu]);
  const flat = graph.node('Flatten', [pooled], { attributes: { axis: attr.int(1) } });
  const logits = graph.node('Gemm', [
    flat,
    graph.constant('fc.weight', 'float32', [CHANNELS, CHANNELS], fcWeights),
    graph.constant('fc.bias', 'float32', [CHANNELS], zeros),
  ]);
  graph.node('Softmax', [logits], {
    outputs: [graph.output('probs', 'float32', ['batch', CHANNELS])],
    attributes: { axis: attr.int(1) },
  });
  return graph.toModel({ docString: 'Dominant colour of a 32x32 RGB image: red, green or blue.' });
}
