/**
 * How an original image maps onto the model's input, so that postprocessors can answer in the
 * coordinates the client sent.
 *
 * Coordinates are continuous pixel coordinates: pixel `i` covers `[i, i + 1)`, so the image spans
 * `[0, originalWidth] x [0, originalHeight]` and a pixel's centre is `i + 0.5`. A point maps as
 *
 *     model_x = original_x * scaleX + padX
 *     model_y = original_y * scaleY + padY
 *
 * `scaleX` and `scaleY` are the sizes actually produced divided by the original sizes, so they
 * differ slightly when a resize rounds each side separately (FIT_STRIDE, LETTERBOX).
 */
export interface ImageGeometry {
  /** Width of the image as decoded and EXIF-oriented, before resizing. */
  readonly originalWidth: number;
  /** Height of the image as decoded and EXIF-oriented, before resizing. */
  readonly originalHeight: number;
  /** Model-input pixels per original pixel along x. */
  readonly scaleX: number;
  /** Model-input pixels per original pixel along y. */
  readonly scaleY: number;
  /** Model-input pixels of padding before the image on the left (0 when it sits at the left edge). */
  readonly padX: number;
  /** Model-input pixels of padding above the image (0 when it sits at the top edge). */
  readonly padY: number;
}

/** A point in pixels. */
export interface PixelPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * Maps a point in model-input coordinates back to the original image (the inverse of the mapping
 * documented on `ImageGeometry`). The result is not clamped: callers clamp where a point must lie
 * inside the image.
 */
export function toOriginal(x: number, y: number, g: ImageGeometry): PixelPoint {
  return { x: (x - g.padX) / g.scaleX, y: (y - g.padY) / g.scaleY };
}
