import { Layout } from '../../../gen/ts/sluice/v1/model_config.js';
import type { ResolvedPreprocessing } from './resolve-preprocessing.js';

/** Interleaved 8-bit pixels as sharp's `.raw()` returns them. */
export interface PixelBuffer {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (colour) interleaved channels. */
  readonly channels: number;
}

type NormalizeFields = Pick<ResolvedPreprocessing, 'layout' | 'channels' | 'mean' | 'std' | 'scale' | 'padValue'>;

/**
 * Where each model channel's value comes from in the source pixels:
 * - `pick[c]` is the source channel that feeds model channel `c`; it swaps RGB and BGR and
 *   replicates a grey source into three channels.
 * - `luma` are the weights of the three source channels for a one-channel model.
 */
const NO_OFFSET = Object.freeze({ x: 0, y: 0 });

export type ChannelSource = { readonly pick: readonly number[] } | { readonly luma: readonly [number, number, number] };

/**
 * Writes `(pixel * scale - mean[c]) / std[c]` for every model channel `c` into a new Float32Array
 * of `tensorWidth` x `tensorHeight` in the requested layout, in one pass over `pixels`; channel
 * reordering and grey conversion happen in the same pass. The pixels go at `offset` (the
 * LETTERBOX padding before them); tensor cells outside them hold the normalised `padValue`.
 */
export function normalizePixels(
  pixels: PixelBuffer,
  source: ChannelSource,
  tensorWidth: number,
  tensorHeight: number,
  pre: NormalizeFields,
  offset: { readonly x: number; readonly y: number } = NO_OFFSET,
): Float32Array {
  const channels = pre.channels;
  // (p * scale - mean) / std == p * k + b: one multiply-add per value in the loop.
  const k = new Float64Array(channels);
  const b = new Float64Array(channels);
  const pad = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const std = pre.std[c];
    k[c] = pre.scale / std;
    b[c] = -pre.mean[c] / std;
    pad[c] = pre.padValue * k[c] + b[c];
  }

  const out = new Float32Array(channels * tensorWidth * tensorHeight);
  const padded = pixels.width < tensorWidth || pixels.height < tensorHeight;
  if (padded) {
    if (pre.layout === Layout.LAYOUT_NCHW) fillPlanes(out, pad, tensorWidth * tensorHeight);
    else fillInterleaved(out, pad);
  }
  // Index of the tensor cell that receives the first pixel.
  const first = offset.y * tensorWidth + offset.x;
  if ('luma' in source) {
    writeLuma(pixels, source.luma, tensorWidth, first, k[0], b[0], out);
  } else if (channels === 1) {
    write1(pixels, source.pick[0], tensorWidth, first, k[0], b[0], out);
  } else if (pre.layout === Layout.LAYOUT_NCHW) {
    writeNchw3(pixels, source.pick, tensorWidth, tensorHeight, first, k, b, out);
  } else {
    writeNhwc3(pixels, source.pick, tensorWidth, first, k, b, out);
  }
  return out;
}

function writeNchw3(
  px: PixelBuffer,
  map: readonly number[],
  tensorWidth: number,
  tensorHeight: number,
  first: number,
  k: Float64Array,
  b: Float64Array,
  out: Float32Array,
): void {
  const { data, width, height, channels } = px;
  const m0 = map[0], m1 = map[1], m2 = map[2];
  const k0 = k[0], k1 = k[1], k2 = k[2];
  const b0 = b[0], b1 = b[1], b2 = b[2];
  const plane = tensorWidth * tensorHeight;
  for (let y = 0; y < height; y++) {
    let s = y * width * channels;
    let o = first + y * tensorWidth;
    const end = o + width;
    for (; o < end; o++, s += channels) {
      out[o] = data[s + m0] * k0 + b0;
      out[o + plane] = data[s + m1] * k1 + b1;
      out[o + 2 * plane] = data[s + m2] * k2 + b2;
    }
  }
}

function writeNhwc3(
  px: PixelBuffer,
  map: readonly number[],
  tensorWidth: number,
  first: number,
  k: Float64Array,
  b: Float64Array,
  out: Float32Array,
): void {
  const { data, width, height, channels } = px;
  const m0 = map[0], m1 = map[1], m2 = map[2];
  const k0 = k[0], k1 = k[1], k2 = k[2];
  const b0 = b[0], b1 = b[1], b2 = b[2];
  for (let y = 0; y < height; y++) {
    let s = y * width * channels;
    let o = (first + y * tensorWidth) * 3;
    const end = o + width * 3;
    for (; o < end; o += 3, s += channels) {
      out[o] = data[s + m0] * k0 + b0;
      out[o + 1] = data[s + m1] * k1 + b1;
      out[o + 2] = data[s + m2] * k2 + b2;
    }
  }
}

/** One model channel: NCHW and NHWC are the same memory layout. */
function write1(px: PixelBuffer, m0: number, tensorWidth: number, first: number, k0: number, b0: number, out: Float32Array): void {
  const { data, width, height, channels } = px;
  for (let y = 0; y < height; y++) {
    let s = y * width * channels + m0;
    let o = first + y * tensorWidth;
    const end = o + width;
    for (; o < end; o++, s += channels) out[o] = data[s] * k0 + b0;
  }
}

/** One model channel from three source channels (grey models fed colour images). */
function writeLuma(
  px: PixelBuffer,
  weights: readonly [number, number, number],
  tensorWidth: number,
  first: number,
  k0: number,
  b0: number,
  out: Float32Array,
): void {
  const { data, width, height, channels } = px;
  // Folding k0 into the weights saves a multiply per pixel.
  const w0 = weights[0] * k0, w1 = weights[1] * k0, w2 = weights[2] * k0;
  for (let y = 0; y < height; y++) {
    let s = y * width * channels;
    let o = first + y * tensorWidth;
    const end = o + width;
    for (; o < end; o++, s += channels) out[o] = data[s] * w0 + data[s + 1] * w1 + data[s + 2] * w2 + b0;
  }
}

function fillPlanes(out: Float32Array, pad: Float64Array, plane: number): void {
  for (let c = 0; c < pad.length; c++) out.fill(pad[c], c * plane, (c + 1) * plane);
}

function fillInterleaved(out: Float32Array, pad: Float64Array): void {
  const channels = pad.length;
  if (channels === 1) {
    out.fill(pad[0]);
    return;
  }
  for (let o = 0; o < out.length; o += channels) {
    for (let c = 0; c < channels; c++) out[o + c] = pad[c];
  }
}
