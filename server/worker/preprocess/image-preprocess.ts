import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { SluiceError } from '../../errors.js';
import { PixelFormat } from '../../../gen/ts/sluice/v1/image.js';
import { ChannelOrder, Layout } from '../../../gen/ts/sluice/v1/model_config.js';
import type { ImageData, Thumbnail } from '../task.js';
import type { ImageGeometry } from './image-geometry.js';
import { normalizePixels, type ChannelSource } from './normalize-pixels.js';
import { planResize } from './plan-resize.js';
import type { ResolvedPreprocessing } from './resolve-preprocessing.js';

/** A model-ready image tensor and how it relates to the original image. */
export interface PreprocessedImage {
  /** Normalised values, row-major in the order `dims` gives. */
  readonly data: Float32Array;
  /** `[1, C, H, W]` for NCHW or `[1, H, W, C]` for NHWC. */
  readonly dims: number[];
  /** How original-image coordinates map onto the tensor. */
  readonly geometry: ImageGeometry;
}

/** Limits that protect a worker from images that would exhaust its memory. */
export interface PreprocessLimits {
  /** Largest `width * height` decoded or accepted as raw pixels. */
  readonly maxImagePixels: number;
}

/** Order of the channels in sharp's raw output, before the model's order is applied. */
type SourceOrder = 'rgb' | 'bgr';

interface Source {
  readonly pipeline: Sharp;
  readonly width: number;
  readonly height: number;
  /** Colour channels, alpha aside: 1 for grey sources, otherwise 3. */
  readonly channels: 1 | 3;
  readonly order: SourceOrder;
}

const RAW_CHANNELS: Partial<Record<PixelFormat, 1 | 3 | 4>> = {
  [PixelFormat.PIXEL_FORMAT_RGB8]: 3,
  [PixelFormat.PIXEL_FORMAT_BGR8]: 3,
  [PixelFormat.PIXEL_FORMAT_RGBA8]: 4,
  [PixelFormat.PIXEL_FORMAT_GRAY8]: 1,
};

/**
 * ITU-R BT.601 luma on gamma-encoded values, as OpenCV's `cvtColor` and Pillow's `convert('L')`
 * compute it: grey models are trained on those, not on libvips' linear-light luminance.
 */
const LUMA_RGB: readonly [number, number, number] = [0.299, 0.587, 0.114];
const LUMA_BGR: readonly [number, number, number] = [0.114, 0.587, 0.299];

/**
 * Turns a client's image into the model's input tensor: decode (JPEG, PNG or WebP, EXIF-oriented)
 * or wrap raw pixels, resize as `pre.resizeMode` says (see `planResize`), drop alpha, convert to
 * the model's channels, and normalise into NCHW or NHWC floats.
 *
 * Errors are `SluiceError`s about the item: `INVALID_IMAGE` (empty, undecodable, not JPEG/PNG/WebP,
 * raw bytes that do not match width x height x channels) or `IMAGE_TOO_LARGE` (more pixels than
 * `limits.maxImagePixels`).
 */
export async function preprocessImage(
  image: ImageData,
  pre: ResolvedPreprocessing,
  limits: PreprocessLimits,
): Promise<PreprocessedImage> {
  if (image.data.byteLength === 0) throw new SluiceError('INVALID_IMAGE', 'image is empty');
  const source =
    image.pixelFormat === PixelFormat.PIXEL_FORMAT_UNSPECIFIED
      ? await openEncoded(image.data, limits)
      : openRaw(image, limits);
  const plan = planResize(source.width, source.height, pre);
  if (image.rotate180 === true) source.pipeline.rotate(180);

  // A grey source stays one channel (normalizePixels replicates it, for less data through libvips);
  // colour becomes 8-bit sRGB, which also converts CMYK, palette and 16-bit files.
  const pipeline = source.pipeline
    .removeAlpha()
    .toColourspace(source.channels === 1 ? 'b-w' : 'srgb')
    // Bilinear, as the resizes models are trained with (OpenCV, torchvision); cheaper than lanczos.
    .resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel: 'linear' });

  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err: unknown) {
    throw decodeError(err, limits);
  }
  const { width, height, channels } = pixels.info;
  if (width !== plan.resizedWidth || height !== plan.resizedHeight || (channels !== 1 && channels !== 3)) {
    throw new SluiceError(
      'INTERNAL',
      `resize produced ${width}x${height}x${channels}, expected ${plan.resizedWidth}x${plan.resizedHeight} with 1 or 3 channels`,
    );
  }

  const data = normalizePixels(
    { data: pixels.data, width, height, channels },
    channelSource(channels, source.order, pre.channelOrder),
    plan.tensorWidth,
    plan.tensorHeight,
    pre,
    { x: plan.geometry.padX, y: plan.geometry.padY },
  );
  const dims =
    pre.layout === Layout.LAYOUT_NCHW
      ? [1, pre.channels, plan.tensorHeight, plan.tensorWidth]
      : [1, plan.tensorHeight, plan.tensorWidth, pre.channels];
  return { data, dims, geometry: plan.geometry };
}

/** Decoded pixels of an image as 8-bit RGB, for cutting regions out of it. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Decodes (or unpacks) an image into interleaved 8-bit RGB at full resolution, turned upside down
 * when it says so, with the same checks as preprocessing; for cutting regions out of it. Raw RGB8
 * pixels that need no turning come back as they are, without a copy.
 */
export async function decodeRgb(image: ImageData, limits: PreprocessLimits): Promise<RgbImage> {
  if (image.data.byteLength === 0) throw new SluiceError('INVALID_IMAGE', 'image is empty');
  const source = image.pixelFormat === PixelFormat.PIXEL_FORMAT_UNSPECIFIED ? await openEncoded(image.data, limits) : openRaw(image, limits);
  if (image.pixelFormat === PixelFormat.PIXEL_FORMAT_RGB8 && image.rotate180 !== true) {
    return { data: image.data, width: source.width, height: source.height };
  }
  if (image.rotate180 === true) source.pipeline.rotate(180);
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await source.pipeline.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err: unknown) {
    throw decodeError(err, limits);
  }
  const { data, info } = pixels;
  if (source.order === 'bgr') {
    for (let i = 0; i < data.length; i += 3) {
      const blue = data[i] as number;
      data[i] = data[i + 2] as number;
      data[i + 2] = blue;
    }
  }
  return { data, width: info.width, height: info.height };
}

/** Swaps the first and third channels: BGR pixels read as RGB become RGB. */
const SWAP_RED_BLUE: [[number, number, number], [number, number, number], [number, number, number]] = [
  [0, 0, 1],
  [0, 1, 0],
  [1, 0, 0],
];

/**
 * A JPEG of the image at most `maxWidth` wide (never enlarged), for watchers to display. The image
 * is decoded and resized in one pass from the bytes as sent (JPEG and WebP shrink on load), so no
 * full-resolution copy is made. Throws what `preprocessImage` throws for a bad image, and sharp's
 * error when no JPEG can hold the result (a side over 65535 pixels).
 */
export async function makeThumbnail(image: ImageData, maxWidth: number, maxImagePixels: number): Promise<Thumbnail> {
  const limits = { maxImagePixels };
  if (image.data.byteLength === 0) throw new SluiceError('INVALID_IMAGE', 'image is empty');
  const source = image.pixelFormat === PixelFormat.PIXEL_FORMAT_UNSPECIFIED ? await openEncoded(image.data, limits) : openRaw(image, limits);
  let pipeline = source.pipeline;
  if (image.rotate180 === true) pipeline = pipeline.rotate(180);
  if (source.order === 'bgr') pipeline = pipeline.recomb(SWAP_RED_BLUE);
  const { data, info } = await pipeline
    .resize({ width: Math.min(maxWidth, source.width), withoutEnlargement: true, kernel: 'linear' })
    .jpeg({ quality: 75 })
    .toBuffer({ resolveWithObject: true });
  // A copy into a buffer of its own, so that it can be moved to the main thread.
  return { jpeg: new Uint8Array(data), width: info.width, height: info.height };
}

async function openEncoded(data: Uint8Array, limits: PreprocessLimits): Promise<Source> {
  if (!isJpeg(data) && !isPng(data) && !isWebp(data)) {
    // Checked before sharp sees the bytes: libvips also parses SVG, TIFF, GIF and more, a larger
    // attack surface than the formats the protocol promises.
    throw new SluiceError('INVALID_IMAGE', 'image could not be decoded: it is not a JPEG, PNG or WebP file');
  }
  // sharp's default failOn ('warning') is its advice for untrusted input.
  const pipeline = sharp(data, { autoOrient: true, limitInputPixels: limits.maxImagePixels });
  let meta: Metadata;
  try {
    meta = await pipeline.metadata();
  } catch (err: unknown) {
    throw decodeError(err, limits);
  }
  const { width, height } = meta.autoOrient;
  checkPixelLimit(width, height, limits);
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  return { pipeline, width, height, channels: grey ? 1 : 3, order: 'rgb' };
}

function openRaw(image: ImageData, limits: PreprocessLimits): Source {
  const channels = RAW_CHANNELS[image.pixelFormat];
  if (channels === undefined) {
    throw new SluiceError('INVALID_IMAGE', `image pixel_format ${image.pixelFormat} is not a known pixel format`);
  }
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new SluiceError('INVALID_IMAGE', `raw image needs a positive width and height, got ${width}x${height}`);
  }
  checkPixelLimit(width, height, limits);
  const expected = width * height * channels;
  if (image.data.byteLength !== expected) {
    throw new SluiceError(
      'INVALID_IMAGE',
      `raw image of ${width}x${height} with ${channels} channels needs ${expected} bytes, got ${image.data.byteLength}`,
    );
  }
  const pipeline = sharp(image.data, {
    raw: { width, height, channels },
    limitInputPixels: limits.maxImagePixels,
  });
  // sharp has no BGR input: the bytes go through as if RGB and channelMap() swaps them back.
  return {
    pipeline,
    width,
    height,
    channels: channels === 1 ? 1 : 3,
    order: image.pixelFormat === PixelFormat.PIXEL_FORMAT_BGR8 ? 'bgr' : 'rgb',
  };
}

function checkPixelLimit(width: number, height: number, limits: PreprocessLimits): void {
  if (width * height > limits.maxImagePixels) {
    throw new SluiceError(
      'IMAGE_TOO_LARGE',
      `image of ${width}x${height} (${width * height} pixels) exceeds the limit of ${limits.maxImagePixels} pixels`,
    );
  }
}

/** How the model's channels are computed from sharp's output channels. */
function channelSource(sourceChannels: number, source: SourceOrder, model: ChannelOrder): ChannelSource {
  if (sourceChannels === 1) return { pick: model === ChannelOrder.CHANNEL_ORDER_GRAY ? [0] : [0, 0, 0] };
  if (model === ChannelOrder.CHANNEL_ORDER_GRAY) return { luma: source === 'bgr' ? LUMA_BGR : LUMA_RGB };
  const swap = (source === 'bgr') !== (model === ChannelOrder.CHANNEL_ORDER_BGR);
  return { pick: swap ? [2, 1, 0] : [0, 1, 2] };
}

/** sharp's errors name libvips internals; the client gets a stable code and a plain message. */
function decodeError(err: unknown, limits: PreprocessLimits): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('pixel limit')) {
    return new SluiceError('IMAGE_TOO_LARGE', `image exceeds the limit of ${limits.maxImagePixels} pixels`, {
      cause: err,
    });
  }
  return new SluiceError('INVALID_IMAGE', 'image could not be decoded: the file is corrupt or truncated', {
    cause: err,
  });
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((byte, i) => b[i] === byte);
}

/** RIFF....WEBP */
function isWebp(b: Uint8Array): boolean {
  return (
    b.length >= 12 &&
    b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
    b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50
  );
}
