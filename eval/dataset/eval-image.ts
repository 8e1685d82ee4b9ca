/**
 * The labelled images of the evaluation set and their ground truth.
 */
import type { Quad } from '../metrics/boxes.js';

/** How a line is turned on the image: PP-OCR's classifier labels, upright or upside down. */
export type Orientation = '0' | '180';

/** `clean`: a flat light colour and dark text; `noisy`: gradient, speckles, pixel noise and lower contrast. */
export type Background = 'clean' | 'noisy';

/** One line of text on an image. */
export interface GroundTruthLine {
  /** The string drawn, read upright. */
  readonly text: string;
  /** Bounds of the drawn ink (pixels with alpha >= 64), clockwise from the top-left in image coordinates. */
  readonly quad: Quad;
  readonly orientation: Orientation;
  /** `FontFace.name`, e.g. `serif-italic`. */
  readonly font: string;
  /** Font size in pixels. */
  readonly size: number;
}

/** A rendered image and what is on it. */
export interface EvalImage {
  /** `img-000`, `img-001`... by index in the set. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly background: Background;
  /** The image, PNG-encoded. */
  readonly png: Buffer;
  /** Top to bottom. */
  readonly lines: readonly GroundTruthLine[];
}
