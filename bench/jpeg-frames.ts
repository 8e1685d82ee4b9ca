/**
 * JPEG frames for the encoded-image scenarios, encoded once before anything is measured: rendered
 * text at 640x360 for the detector (what a camera pointed at a sign or a screen sends), and
 * 64x64 colour patches with noise for `tiny-cnn`. A few different frames are cycled, so that no
 * two neighbouring items are the same bytes.
 */
import sharp from 'sharp';
import { SyntheticSource } from '../client/sources/synthetic-source.js';
import { benchValues } from './bench-models.js';

/** A model fed JPEG frames. */
export interface JpegModel {
  /** Short name in tables. */
  readonly label: 'det' | 'tiny-cnn';
  /** Folder name in `models/`. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** `max_in_flight` of the saturating stream. */
  readonly window: number;
}

/** The two models of the encoded-image scenario. */
export const JPEG_MODELS: readonly JpegModel[] = [
  { label: 'det', name: 'ppocr-det', width: 640, height: 360, window: 8 },
  { label: 'tiny-cnn', name: 'tiny-cnn', width: 64, height: 64, window: 32 },
];

const FRAMES = 8;

/** Rendered frames of moving text, as the OCR scenario and `synthetic:` streams use. */
async function textFrames(width: number, height: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for await (const frame of new SyntheticSource({ width, height, fps: 15, encoding: 'jpeg' }).frames()) {
    frames.push(frame.data);
    if (frames.length === FRAMES) break;
  }
  return frames;
}

/** Patches of one dominant colour (red, green, blue in turn) with deterministic noise. */
async function colourFrames(width: number, height: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const noise = benchValues(width * height * 3, 100 + i);
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < pixels.length; p++) {
      const base = p % 3 === i % 3 ? 200 : 60;
      pixels[p] = Math.max(0, Math.min(255, Math.round(base + (noise[p] as number) * 40)));
    }
    frames.push(await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
  }
  return frames;
}

/** The frames of one model, JPEG-encoded. */
export function encodeFrames(model: JpegModel): Promise<Buffer[]> {
  return model.label === 'det' ? textFrames(model.width, model.height) : colourFrames(model.width, model.height);
}
