/**
 * Image preprocessing inferred from an ONNX file's input, for models served without a model.yaml:
 * a float32 input shaped [N, 3, H, W] or [N, H, W, 3] (or 1 channel) takes images, resized to
 * H x W, scaled to 0..1, in RGB (or grey). Each inferred value is recorded with its reason;
 * start-up settings (`--input-size`, `--mean`, ...) win over inference.
 */
import { ChannelOrder, Layout, type Preprocessing, ResizeMode } from '../../gen/ts/sluice/v1/model_config.js';
import { ConfigOrigin } from '../../gen/ts/sluice/v1/inference_service.js';
import { DataType, type TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import type { ConfigSources } from './config-sources.js';
import type { ModelOverrides } from './model-overrides.js';

/** Side assumed for an image input whose width and height the file leaves dynamic. */
export const DEFAULT_IMAGE_SIDE = 640;
/** Letterbox padding of detectors: the grey YOLO models are trained with. */
const DETECTOR_PAD = 114;

const { CONFIG_ORIGIN_INFERRED: INFERRED, CONFIG_ORIGIN_OVERRIDE: OVERRIDE } = ConfigOrigin;

/** The image layout of an input, or undefined when it cannot take images. */
export function imageLayoutOf(input: TensorSpec): { layout: Layout; channels: number; height: bigint; width: bigint } | undefined {
  if (input.dtype !== DataType.DATA_TYPE_FLOAT32 || input.shape.length !== 4) return undefined;
  const [, a, b, c] = input.shape as [bigint, bigint, bigint, bigint];
  if (a === 3n || a === 1n) return { layout: Layout.LAYOUT_NCHW, channels: Number(a), height: b, width: c };
  if (c === 3n || c === 1n) return { layout: Layout.LAYOUT_NHWC, channels: Number(c), height: a, width: b };
  return undefined;
}

/** Describes a tensor spec for a reason: `images float32 [N, 3, 640, 640]`. */
export function describeSpec(spec: TensorSpec): string {
  const dims = spec.shape.map((d, i) => (d === -1n ? (i === 0 ? 'N' : '?') : String(d)));
  return `${spec.name} ${spec.dtype === DataType.DATA_TYPE_FLOAT32 ? 'float32' : DataType[spec.dtype].replace('DATA_TYPE_', '').toLowerCase()} [${dims.join(', ')}]`;
}

/** What `inferPreprocessing` found: preprocessing, or why the model takes tensors only. */
export type InferredPreprocessing = { readonly preprocessing: Preprocessing } | { readonly preprocessing: undefined; readonly reason: string };

/**
 * The resize each postprocessor's models are trained with: detectors see letterboxed images,
 * text detectors any size rounded to a stride, text recognisers a fixed height; the rest a stretch.
 */
const RESIZE_FOR: Readonly<Record<string, [ResizeMode, string]>> = {
  detection: [ResizeMode.RESIZE_MODE_LETTERBOX, 'detectors are trained on letterboxed images'],
  textDetection: [ResizeMode.RESIZE_MODE_FIT_STRIDE, 'text detectors take any size, rounded to a stride of 32'],
  ctcDecode: [ResizeMode.RESIZE_MODE_FIT_HEIGHT, 'text recognisers read lines scaled to their height'],
};

/**
 * Preprocessing for the model's only input when it is shaped like an image; `postprocessor` is the
 * kind chosen for its outputs (`detection`, `textDetection`...), which decides the resize.
 */
export function inferPreprocessing(
  inputs: readonly TensorSpec[],
  overrides: ModelOverrides,
  postprocessor: string | undefined,
  sources: ConfigSources,
): InferredPreprocessing {
  const [input] = inputs;
  if (input === undefined || inputs.length !== 1) {
    return { preprocessing: undefined, reason: `it has ${inputs.length} inputs; images feed a model with one` };
  }
  const image = imageLayoutOf(input);
  if (image === undefined) return { preprocessing: undefined, reason: `${describeSpec(input)} is not a float32 image tensor [N, 3, H, W] or [N, H, W, 3]` };
  const shape = describeSpec(input);
  const pre: Preprocessing = {
    input: input.name,
    width: 0,
    height: 0,
    resizeMode: ResizeMode.RESIZE_MODE_STRETCH,
    stride: 0,
    layout: image.layout,
    channelOrder: image.channels === 1 ? ChannelOrder.CHANNEL_ORDER_GRAY : ChannelOrder.CHANNEL_ORDER_RGB,
    mean: [],
    std: [],
    scale: 1 / 255,
    padValue: 0,
  };
  sources.set('preprocessing.input', INFERRED, `${shape} is shaped like an image`);
  sources.set('preprocessing.layout', INFERRED, `${shape} has ${image.channels} channel${image.channels === 1 ? '' : 's'} ${image.layout === Layout.LAYOUT_NCHW ? 'before' : 'after'} H and W`);
  sources.set('preprocessing.scale', INFERRED, 'pixels scaled to 0..1, what most exports expect');

  if (overrides.width !== undefined && overrides.height !== undefined) {
    pre.width = overrides.width;
    pre.height = overrides.height;
    sources.set('preprocessing.width', OVERRIDE);
    sources.set('preprocessing.height', OVERRIDE);
  } else if (image.width > 0n && image.height > 0n) {
    pre.width = Number(image.width);
    pre.height = Number(image.height);
    sources.set('preprocessing.width', INFERRED, `fixed by ${shape}`);
    sources.set('preprocessing.height', INFERRED, `fixed by ${shape}`);
  } else {
    // A side the file fixes is kept; a dynamic one gets the usual export size.
    const assumed = `${shape} leaves it dynamic; ${DEFAULT_IMAGE_SIDE} assumed (set --input-size)`;
    pre.width = image.width > 0n ? Number(image.width) : DEFAULT_IMAGE_SIDE;
    pre.height = image.height > 0n ? Number(image.height) : DEFAULT_IMAGE_SIDE;
    sources.set('preprocessing.width', INFERRED, image.width > 0n ? `fixed by ${shape}` : assumed);
    sources.set('preprocessing.height', INFERRED, image.height > 0n ? `fixed by ${shape}` : assumed);
  }

  if (overrides.channelOrder !== undefined) {
    pre.channelOrder = overrides.channelOrder;
    sources.set('preprocessing.channel_order', OVERRIDE);
  } else {
    sources.set('preprocessing.channel_order', INFERRED, image.channels === 1 ? `${shape} has one channel` : 'RGB, what most exports expect (set --channel-order bgr otherwise)');
  }
  const trained = postprocessor === undefined ? undefined : RESIZE_FOR[postprocessor];
  if (overrides.resizeMode !== undefined) {
    pre.resizeMode = overrides.resizeMode;
    sources.set('preprocessing.resize_mode', OVERRIDE);
  } else if (trained !== undefined) {
    [pre.resizeMode] = trained;
    sources.set('preprocessing.resize_mode', INFERRED, trained[1]);
  } else {
    sources.set('preprocessing.resize_mode', INFERRED, 'the image is stretched to the input size');
  }
  if (pre.resizeMode === ResizeMode.RESIZE_MODE_LETTERBOX) {
    pre.padValue = DETECTOR_PAD;
    sources.set('preprocessing.pad_value', INFERRED, 'the grey YOLO models are trained with');
  }
  if (overrides.mean !== undefined) {
    pre.mean = [...overrides.mean];
    sources.set('preprocessing.mean', OVERRIDE);
  }
  if (overrides.std !== undefined) {
    pre.std = [...overrides.std];
    sources.set('preprocessing.std', OVERRIDE);
  }
  return { preprocessing: pre };
}
