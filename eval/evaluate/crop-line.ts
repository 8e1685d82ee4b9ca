/**
 * Crops of ground-truth lines, as a recogniser or classifier would get them from a detector.
 */
import sharp from 'sharp';
import type { EvalImage, GroundTruthLine } from '../dataset/eval-image.js';
import { type Bounds, boundsOf } from '../metrics/boxes.js';

/**
 * Margin around the ink, as a share of its height. PP-OCR's detector answers boxes a little larger
 * than the ink (its unclipped regions), so a crop with some background is what the recogniser
 * sees in a pipeline.
 */
export const CROP_MARGIN = 0.2;

/** The pixels cropped for `line`: its ink bounds grown by `margin` x its height, within the image. */
export function cropBounds(image: Pick<EvalImage, 'width' | 'height'>, line: GroundTruthLine, margin = CROP_MARGIN): Bounds {
  const ink = boundsOf(line.quad);
  const pad = Math.max(1, Math.round((ink.y1 - ink.y0) * margin));
  return {
    x0: Math.max(0, Math.floor(ink.x0) - pad),
    y0: Math.max(0, Math.floor(ink.y0) - pad),
    x1: Math.min(image.width, Math.ceil(ink.x1) + pad),
    y1: Math.min(image.height, Math.ceil(ink.y1) + pad),
  };
}

/** The crop of `line` as a PNG, as drawn (upside-down lines stay upside down). */
export function cropLine(image: EvalImage, line: GroundTruthLine, margin = CROP_MARGIN): Promise<Buffer> {
  const b = cropBounds(image, line, margin);
  return sharp(image.png)
    .extract({ left: b.x0, top: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 })
    .png({ compressionLevel: 1 })
    .toBuffer();
}
