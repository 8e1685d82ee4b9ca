/**
 * Client-side batching (`--client-batch N`): N frames preprocessed here, exactly as the model's
 * configuration says (stretch to WxH, channel order, `(pixel * scale - mean) / std`, layout), and
 * stacked into one float32 tensor [N, C, H, W] (or [N, H, W, C]) sent as one request. Only models
 * whose preprocessing has a fixed size can be batched this way, and only models whose answer the
 * client can split per frame: no postprocessor (tensors) or a classification postprocessor, whose
 * top-k the client computes from each row.
 */
import sharp from 'sharp';
import { type Classification, type PredictRequest, type PredictResponse, Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import { ChannelOrder, Layout, type ModelConfig, ResizeMode } from '../../../gen/ts/sluice/v1/model_config.js';
import { DataType, type Tensor } from '../../../gen/ts/sluice/v1/tensor.js';
import type { Frame } from '../../sources/frame.js';
import { CliError } from '../cli-context.js';

/** How frames become rows of the model's input tensor. */
export interface TensorBatchPlan {
  readonly model: string;
  readonly rows: number;
  readonly input: string;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly nhwc: boolean;
  /** Source channel (of RGB) feeding each model channel. */
  readonly pick: readonly number[];
  /** value = pixel * k[c] + b[c]. */
  readonly k: readonly number[];
  readonly b: readonly number[];
  readonly classification: { readonly output: string; readonly topK: number; readonly softmax: boolean } | undefined;
  readonly labels: readonly string[];
}

/** Checks that `config` can be batched by the client and works out how. */
export function planTensorBatch(config: ModelConfig, rows: number): TensorBatchPlan {
  const name = config.name;
  const pre = config.preprocessing;
  if (pre === undefined) throw new CliError(`--client-batch: model ${name} takes tensors, not images`);
  if (pre.resizeMode !== ResizeMode.RESIZE_MODE_STRETCH && pre.resizeMode !== ResizeMode.RESIZE_MODE_UNSPECIFIED) {
    throw new CliError(`--client-batch: model ${name} sizes each image differently (${ResizeMode[pre.resizeMode]}), so frames cannot be stacked by the client; leave batching to the server (its max_batch_size is ${config.maxBatchSize})`);
  }
  if (config.maxBatchSize < rows) {
    throw new CliError(`--client-batch ${rows} exceeds model ${name}'s max_batch_size ${Math.max(1, config.maxBatchSize)}`);
  }
  const kind = config.postprocessor?.kind;
  if (kind !== undefined && kind.$case !== 'classification') {
    throw new CliError(`--client-batch: model ${name}'s ${kind.$case} postprocessor answers one image per request; only classification and tensor models can be batched by the client`);
  }
  const input = pre.input !== '' ? pre.input : config.inputs[0]?.name;
  if (input === undefined) throw new CliError(`--client-batch: model ${name} declares no input`);
  const order = pre.channelOrder;
  const channels: 1 | 3 = order === ChannelOrder.CHANNEL_ORDER_GRAY ? 1 : 3;
  const pick = order === ChannelOrder.CHANNEL_ORDER_BGR ? [2, 1, 0] : channels === 1 ? [0] : [0, 1, 2];
  const scale = pre.scale ?? 1 / 255;
  const perChannel = (values: readonly number[], fallback: number): number[] =>
    values.length === 0 ? new Array<number>(channels).fill(fallback) : values.length === 1 ? new Array<number>(channels).fill(values[0] as number) : [...values];
  const mean = perChannel(pre.mean, 0);
  const std = perChannel(pre.std, 1);
  const outputs = config.outputs.map((o) => o.name);
  return {
    model: name,
    rows,
    input,
    width: pre.width,
    height: pre.height,
    channels,
    nhwc: pre.layout === Layout.LAYOUT_NHWC,
    pick,
    k: std.map((s) => scale / s),
    b: mean.map((m, c) => -m / (std[c] as number)),
    classification:
      kind?.$case === 'classification'
        ? { output: kind.value.output !== '' ? kind.value.output : (outputs[0] ?? ''), topK: kind.value.topK > 0 ? kind.value.topK : 5, softmax: kind.value.softmax }
        : undefined,
    labels: config.labels,
  };
}

/** One request carrying `frames` as rows of the model's input, with tensors asked back. */
export async function tensorBatchRequest(frames: readonly Frame[], plan: TensorBatchPlan, id: string): Promise<PredictRequest> {
  const { width, height, channels } = plan;
  const plane = width * height;
  const values = new Float32Array(frames.length * channels * plane);
  await Promise.all(
    frames.map(async (frame, row) => {
      let image = frame.encoding === 'raw' ? sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } }) : sharp(frame.data, { failOn: 'error' });
      image = image.resize(width, height, { fit: 'fill' }).removeAlpha();
      if (channels === 1) image = image.toColourspace('b-w');
      const pixels = await image.raw().toBuffer();
      const stride = pixels.length / plane;
      const base = row * channels * plane;
      for (let c = 0; c < channels; c++) {
        const source = plan.pick[c] as number;
        const k = plan.k[c] as number;
        const b = plan.b[c] as number;
        for (let p = 0; p < plane; p++) {
          const v = (pixels[p * stride + source] as number) * k + b;
          values[plan.nhwc ? base + p * channels + c : base + c * plane + p] = v;
        }
      }
    }),
  );
  const shape = plan.nhwc ? [frames.length, height, width, channels] : [frames.length, channels, height, width];
  const tensor: Tensor = { name: plan.input, dtype: DataType.DATA_TYPE_FLOAT32, shape: shape.map(BigInt), rawData: Buffer.from(values.buffer), floatData: [] };
  return { id, model: plan.model, inputs: [tensor], image: undefined, returnTensors: true, streamOptions: undefined };
}

/**
 * One response per frame from the answer to a batch: each output tensor's rows go to their frame,
 * with the classes computed from them for classification models; an error or a drop applies to
 * every frame of the batch.
 */
export function splitBatchResponse(response: PredictResponse, frames: readonly Frame[], plan: TensorBatchPlan): PredictResponse[] {
  return frames.map((frame, row) => {
    const base = { ...response, id: frame.id, batchSize: frames.length };
    const result = response.result;
    if (result?.$case !== 'prediction') return base;
    const outputs = result.value.outputs.map((tensor) => rowOf(tensor, row, frames.length));
    const prediction: Prediction = { ...Prediction.fromPartial({}), outputs };
    if (plan.classification !== undefined) {
      const scores = outputs.find((o) => o.name === plan.classification?.output);
      if (scores !== undefined) {
        prediction.classes = topK(floats(scores), plan.classification.topK, plan.classification.softmax, plan.labels);
        prediction.outputs = [];
      }
    }
    return { ...base, result: { $case: 'prediction', value: prediction } };
  });
}

function rowOf(tensor: Tensor, row: number, rows: number): Tensor {
  const bytesPerRow = tensor.rawData.byteLength / rows;
  const rawData = Buffer.from(tensor.rawData.subarray(row * bytesPerRow, (row + 1) * bytesPerRow));
  return { ...tensor, shape: [1n, ...tensor.shape.slice(1)], rawData, floatData: [] };
}

function floats(tensor: Tensor): Float32Array {
  const copy = new Uint8Array(tensor.rawData); // aligned, unlike a slice of a received buffer
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** The k best classes, highest first, ties by index; softmax probabilities when asked. */
export function topK(values: Float32Array, k: number, softmax: boolean, labels: readonly string[]): Classification[] {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  let denominator = 1;
  if (softmax) {
    denominator = 0;
    for (const v of values) denominator += Math.exp(v - max);
  }
  return [...values]
    .map((value, index) => ({ index, value }))
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .slice(0, Math.min(k, values.length))
    .map(({ index, value }) => ({ index, label: labels[index] ?? String(index), score: softmax ? Math.exp(value - max) / denominator : value }));
}
