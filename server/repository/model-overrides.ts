/**
 * Settings given when the server starts, for models served from a bare ONNX file (`--model`):
 * they replace what would otherwise be inferred from the file. A model with a `model.yaml` is
 * configured by its file instead.
 */
import type { ChannelOrder, ResizeMode } from '../../gen/ts/sluice/v1/model_config.js';

/** Postprocessor kinds by the names model.yaml gives them, plus `none` for tensors. */
export const POSTPROCESS_NAMES = ['classification', 'detection', 'segmentation', 'peaks', 'text_detection', 'ctc_decode', 'none'] as const;

/** A `--postprocess` value. */
export type PostprocessName = (typeof POSTPROCESS_NAMES)[number];

/** What `--postprocess`, `--labels`, `--mean`, `--std`, `--channel-order`, `--resize` and `--input-size` say. */
export interface ModelOverrides {
  readonly postprocess?: PostprocessName | undefined;
  /** Absolute path of a labels file, one label per line. */
  readonly labelsFile?: string | undefined;
  readonly mean?: readonly number[] | undefined;
  readonly std?: readonly number[] | undefined;
  readonly channelOrder?: ChannelOrder | undefined;
  readonly resizeMode?: ResizeMode | undefined;
  /** Image size for a model whose input leaves width and height dynamic (or to resize to another). */
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

/** No overrides. */
export const NO_OVERRIDES: ModelOverrides = Object.freeze({});
