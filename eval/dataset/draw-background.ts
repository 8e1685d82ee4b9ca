/**
 * Backgrounds as raw RGB pixels: a flat light colour, or a noisy one (a gradient between two
 * light colours, per-pixel noise and light speckles).
 */
import type { Background } from './eval-image.js';
import type { Random } from './random.js';

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** Raw RGB pixels, row by row. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

/** A background of `kind`, drawn from `random`. */
export function drawBackground(kind: Background, width: number, height: number, random: Random): RawImage {
  return kind === 'clean' ? flat(width, height, lightColour(random, 225)) : noisy(width, height, random);
}

/** Each channel at least `floor`. */
export function lightColour(random: Random, floor: number): Rgb {
  return [random.int(floor, 255), random.int(floor, 255), random.int(floor, 255)];
}

function flat(width: number, height: number, colour: Rgb): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = colour[0];
    data[i + 1] = colour[1];
    data[i + 2] = colour[2];
  }
  return { width, height, data };
}

function noisy(width: number, height: number, random: Random): RawImage {
  const from = lightColour(random, 170);
  const to = lightColour(random, 170);
  const angle = random.float(0, Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  // Projections of the corners, to spread the gradient over the whole image.
  const ends = [0, width * dx, height * dy, width * dx + height * dy];
  const low = Math.min(...ends);
  const span = Math.max(...ends) - low || 1;
  const amplitude = random.int(6, 18);
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      const t = (x * dx + y * dy - low) / span;
      const jitter = random.int(-amplitude, amplitude);
      for (let c = 0; c < 3; c++) data[i + c] = clampByte(from[c]! + (to[c]! - from[c]!) * t + jitter);
    }
  }
  const speckles = Math.round((width * height) / random.int(150, 600));
  for (let s = 0; s < speckles; s++) {
    const colour = lightColour(random, 140);
    const size = random.int(1, 3);
    const x0 = random.int(0, width - size);
    const y0 = random.int(0, height - size);
    for (let y = y0; y < y0 + size; y++) {
      for (let x = x0; x < x0 + size; x++) data.set(colour, (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}
