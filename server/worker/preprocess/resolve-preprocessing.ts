import { SluiceError } from '../../errors.js';
import {
  ChannelOrder,
  Layout,
  ResizeMode,
  type Preprocessing,
} from '../../../gen/ts/sluice/v1/model_config.js';

/** A resize mode with its default applied. */
export type ResolvedResizeMode =
  | ResizeMode.RESIZE_MODE_STRETCH
  | ResizeMode.RESIZE_MODE_LETTERBOX
  | ResizeMode.RESIZE_MODE_FIT_STRIDE
  | ResizeMode.RESIZE_MODE_FIT_HEIGHT;

/** A tensor layout with its default applied. */
export type ResolvedLayout = Layout.LAYOUT_NCHW | Layout.LAYOUT_NHWC;

/** A channel order with its default applied. */
export type ResolvedChannelOrder =
  | ChannelOrder.CHANNEL_ORDER_RGB
  | ChannelOrder.CHANNEL_ORDER_BGR
  | ChannelOrder.CHANNEL_ORDER_GRAY;

/**
 * `Preprocessing` with every default applied and every value checked, so the worker's hot path
 * never has to ask "was this set?".
 */
export interface ResolvedPreprocessing {
  /** Input that receives the image; empty means the model's only input. */
  readonly input: string;
  /** Target width and height (for FIT_STRIDE, the box the image must fit in). */
  readonly width: number;
  readonly height: number;
  readonly resizeMode: ResolvedResizeMode;
  /** FIT_STRIDE only: each side becomes a multiple of this. */
  readonly stride: number;
  readonly layout: ResolvedLayout;
  readonly channelOrder: ResolvedChannelOrder;
  /** 1 for GRAY, otherwise 3. */
  readonly channels: 1 | 3;
  /** Per-channel mean, in the model's channel order; always `channels` long. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation, in the model's channel order; always `channels` long. */
  readonly std: readonly number[];
  /** Factor applied to 8-bit pixels before mean and std. */
  readonly scale: number;
  /** LETTERBOX padding grey level, 0..255. */
  readonly padValue: number;
}

const DEFAULT_STRIDE = 32;
const DEFAULT_SCALE = 1 / 255;

/**
 * Applies the defaults of `Preprocessing` in one place: UNSPECIFIED enums become STRETCH, NCHW and
 * RGB, stride 32, scale 1/255, mean 0 and std 1 per channel; a one-element mean or std is used for
 * every channel. Throws `INVALID_CONFIG` naming the option when a value cannot work (the repository
 * loader validates first; this is the last line of defence in the worker). The result is frozen.
 */
export function resolvePreprocessing(pre: Preprocessing): ResolvedPreprocessing {
  const resizeMode = resolveResizeMode(pre.resizeMode);
  const layout = resolveLayout(pre.layout);
  const channelOrder = resolveChannelOrder(pre.channelOrder);
  const channels: 1 | 3 = channelOrder === ChannelOrder.CHANNEL_ORDER_GRAY ? 1 : 3;

  requirePositiveInteger(pre.width, 'preprocessing.width');
  requirePositiveInteger(pre.height, 'preprocessing.height');
  // FIT_HEIGHT uses a stride only when one is given: without it the tensor is always full width.
  const stride = pre.stride === 0 ? (pre.resizeMode === ResizeMode.RESIZE_MODE_FIT_HEIGHT ? 0 : DEFAULT_STRIDE) : pre.stride;
  if (stride !== 0) requirePositiveInteger(stride, 'preprocessing.stride');

  const scale = pre.scale ?? DEFAULT_SCALE;
  if (!Number.isFinite(scale) || scale === 0) {
    throw invalid('preprocessing.scale must be a finite, non-zero number');
  }
  if (!Number.isInteger(pre.padValue) || pre.padValue < 0 || pre.padValue > 255) {
    throw invalid('preprocessing.pad_value must be an integer from 0 to 255');
  }

  const mean = perChannel(pre.mean, 0, channels, 'preprocessing.mean');
  const std = perChannel(pre.std, 1, channels, 'preprocessing.std');
  if (std.some((s) => s === 0)) throw invalid('preprocessing.std must not contain 0');

  return Object.freeze({
    input: pre.input,
    width: pre.width,
    height: pre.height,
    resizeMode,
    stride,
    layout,
    channelOrder,
    channels,
    mean: Object.freeze(mean),
    std: Object.freeze(std),
    scale,
    padValue: pre.padValue,
  });
}

function resolveResizeMode(mode: ResizeMode): ResolvedResizeMode {
  switch (mode) {
    case ResizeMode.RESIZE_MODE_UNSPECIFIED:
    case ResizeMode.RESIZE_MODE_STRETCH:
      return ResizeMode.RESIZE_MODE_STRETCH;
    case ResizeMode.RESIZE_MODE_LETTERBOX:
    case ResizeMode.RESIZE_MODE_FIT_STRIDE:
    case ResizeMode.RESIZE_MODE_FIT_HEIGHT:
      return mode;
    default:
      throw invalid('preprocessing.resize_mode is not a known resize mode');
  }
}

function resolveLayout(layout: Layout): ResolvedLayout {
  switch (layout) {
    case Layout.LAYOUT_UNSPECIFIED:
    case Layout.LAYOUT_NCHW:
      return Layout.LAYOUT_NCHW;
    case Layout.LAYOUT_NHWC:
      return layout;
    default:
      throw invalid('preprocessing.layout is not a known layout');
  }
}

function resolveChannelOrder(order: ChannelOrder): ResolvedChannelOrder {
  switch (order) {
    case ChannelOrder.CHANNEL_ORDER_UNSPECIFIED:
    case ChannelOrder.CHANNEL_ORDER_RGB:
      return ChannelOrder.CHANNEL_ORDER_RGB;
    case ChannelOrder.CHANNEL_ORDER_BGR:
    case ChannelOrder.CHANNEL_ORDER_GRAY:
      return order;
    default:
      throw invalid('preprocessing.channel_order is not a known channel order');
  }
}

function requirePositiveInteger(value: number, path: string): void {
  if (!Number.isInteger(value) || value <= 0) throw invalid(`${path} must be a positive integer`);
}

function perChannel(values: readonly number[], fallback: number, channels: number, path: string): number[] {
  if (values.some((v) => !Number.isFinite(v))) throw invalid(`${path} must contain finite numbers`);
  if (values.length === 0) return new Array<number>(channels).fill(fallback);
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) {
    throw invalid(`${path} must have 1 or ${channels} values, got ${values.length}`);
  }
  return [...values];
}

function invalid(message: string): SluiceError {
  return new SluiceError('INVALID_CONFIG', message);
}
