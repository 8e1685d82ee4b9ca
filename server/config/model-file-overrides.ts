/**
 * The start-up settings that shape `--model` files' inferred configuration, turned from their
 * checked option strings into the repository's `ModelOverrides`.
 */
import { ChannelOrder, ResizeMode } from '../../gen/ts/sluice/v1/model_config.js';
import type { ModelOverrides, PostprocessName } from '../repository/model-overrides.js';
import type { ServerConfig } from './server-config.js';

const CHANNEL_ORDERS: Readonly<Record<string, ChannelOrder>> = {
  rgb: ChannelOrder.CHANNEL_ORDER_RGB,
  bgr: ChannelOrder.CHANNEL_ORDER_BGR,
  gray: ChannelOrder.CHANNEL_ORDER_GRAY,
};
const RESIZE_MODES: Readonly<Record<string, ResizeMode>> = {
  stretch: ResizeMode.RESIZE_MODE_STRETCH,
  letterbox: ResizeMode.RESIZE_MODE_LETTERBOX,
};

type OverrideOptions = Pick<ServerConfig, 'postprocess' | 'labels' | 'mean' | 'std' | 'channelOrder' | 'resize' | 'inputSize'>;

/** The overrides `config` sets (options left '' are inferred). */
export function modelFileOverrides(config: OverrideOptions): ModelOverrides {
  const numbers = (list: string): number[] | undefined => (list === '' ? undefined : list.split(',').map(Number));
  const [width, height] = config.inputSize === '' ? [undefined, undefined] : config.inputSize.split('x').map(Number);
  return Object.freeze({
    postprocess: config.postprocess === '' ? undefined : (config.postprocess as PostprocessName),
    labelsFile: config.labels === '' ? undefined : config.labels,
    mean: numbers(config.mean),
    std: numbers(config.std),
    channelOrder: CHANNEL_ORDERS[config.channelOrder],
    resizeMode: RESIZE_MODES[config.resize],
    width,
    height,
  });
}
