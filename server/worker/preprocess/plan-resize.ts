import { ResizeMode } from '../../../gen/ts/sluice/v1/model_config.js';
import type { ImageGeometry } from './image-geometry.js';
import type { ResolvedPreprocessing } from './resolve-preprocessing.js';

/** Sizes chosen for one image: what the image is resized to, and the tensor it is placed in. */
export interface ResizePlan {
  /** Size the image is resized to. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  /**
   * Size of the model input. Larger than the resized image for LETTERBOX, where the image sits
   * in the middle with padding around it, and for FIT_HEIGHT, where it sits at the left.
   */
  readonly tensorWidth: number;
  readonly tensorHeight: number;
  /** Where the resized image sits in the tensor: `padX`, `padY` (LETTERBOX centres it). */
  readonly geometry: ImageGeometry;
}

type SizeFields = Pick<ResolvedPreprocessing, 'width' | 'height' | 'resizeMode' | 'stride'>;

/**
 * Chooses the resized and tensor sizes for an image of `width` x `height` (already EXIF-oriented):
 *
 * - STRETCH: exactly `pre.width` x `pre.height`, each axis scaled on its own.
 * - LETTERBOX: the aspect ratio is kept and the image fits inside `pre.width` x `pre.height`,
 *   scaled up or down, centred in the full box with the padding split evenly (an odd pixel goes
 *   right or below), as YOLO detectors are trained.
 * - FIT_STRIDE: the aspect ratio is kept and the image is only ever scaled down, to fit inside
 *   `pre.width` x `pre.height`; each side is then rounded to the nearest multiple of `stride`, at
 *   least one stride and at most the box (PP-OCR's detector, whose feature pyramid needs
 *   stride-aligned sides). The tensor is the rounded size, so it varies from image to image.
 * - FIT_HEIGHT: exactly `pre.height` tall with the aspect ratio kept, at most `pre.width` wide (a
 *   longer image is squeezed), at the left of a padded tensor (PP-OCR's text-line models). The
 *   tensor is `pre.width` wide, or, when a stride is set, the image's width rounded up to the
 *   stride: lines of similar length then share a tensor shape and batch together, and short
 *   lines do not pay for the padding of long ones.
 *
 * The geometry's scales are the sizes produced divided by the original sizes, so rounding shows
 * up as `scaleX !== scaleY` rather than as an error in mapped coordinates.
 */
export function planResize(width: number, height: number, pre: SizeFields): ResizePlan {
  let resizedWidth: number;
  let resizedHeight: number;
  let tensorWidth = pre.width;
  let tensorHeight = pre.height;
  switch (pre.resizeMode) {
    case ResizeMode.RESIZE_MODE_STRETCH:
      resizedWidth = pre.width;
      resizedHeight = pre.height;
      break;
    case ResizeMode.RESIZE_MODE_LETTERBOX: {
      const ratio = Math.min(pre.width / width, pre.height / height);
      // min() guards against rounding a side one pixel past the box.
      resizedWidth = clamp(Math.round(width * ratio), 1, pre.width);
      resizedHeight = clamp(Math.round(height * ratio), 1, pre.height);
      break;
    }
    case ResizeMode.RESIZE_MODE_FIT_HEIGHT:
      resizedHeight = pre.height;
      resizedWidth = clamp(Math.ceil((width * pre.height) / height), 1, pre.width);
      if (pre.stride > 0) tensorWidth = Math.min(pre.width, Math.ceil(resizedWidth / pre.stride) * pre.stride);
      break;
    case ResizeMode.RESIZE_MODE_FIT_STRIDE: {
      const ratio = Math.min(1, pre.width / width, pre.height / height);
      resizedWidth = roundToStride(width * ratio, pre.stride, pre.width);
      resizedHeight = roundToStride(height * ratio, pre.stride, pre.height);
      tensorWidth = resizedWidth;
      tensorHeight = resizedHeight;
      break;
    }
  }
  const letterbox = pre.resizeMode === ResizeMode.RESIZE_MODE_LETTERBOX;
  return {
    resizedWidth,
    resizedHeight,
    tensorWidth,
    tensorHeight,
    geometry: {
      originalWidth: width,
      originalHeight: height,
      scaleX: resizedWidth / width,
      scaleY: resizedHeight / height,
      padX: letterbox ? Math.floor((tensorWidth - resizedWidth) / 2) : 0,
      padY: letterbox ? Math.floor((tensorHeight - resizedHeight) / 2) : 0,
    },
  };
}

/** The spatial size of a model input tensor, in pixels. */
export interface TensorSize {
  readonly width: number;
  readonly height: number;
}

/**
 * The widest and the tallest tensor `planResize` ever makes under `pre`, whatever the image: the
 * box for STRETCH, LETTERBOX and FIT_HEIGHT, the largest multiple of the stride inside the box (at
 * least one stride) for FIT_STRIDE. Tensors a client sends in place of an image are held to it, so
 * that they cost a worker no more than an image would.
 */
export function largestTensor(pre: SizeFields): TensorSize {
  if (pre.resizeMode !== ResizeMode.RESIZE_MODE_FIT_STRIDE) return { width: pre.width, height: pre.height };
  return { width: largestStrideMultiple(pre.width, pre.stride), height: largestStrideMultiple(pre.height, pre.stride) };
}

function largestStrideMultiple(limit: number, stride: number): number {
  return Math.max(stride, Math.floor(limit / stride) * stride);
}

function roundToStride(size: number, stride: number, limit: number): number {
  return clamp(Math.round(size / stride) * stride, stride, largestStrideMultiple(limit, stride));
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
