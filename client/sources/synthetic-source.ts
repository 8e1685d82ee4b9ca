/**
 * Rendered test frames, so that a stream can be tried with no file or camera: a line of text that
 * slides across the frame with the frame number and a moving coloured square, drawn from SVG by
 * sharp. `synthetic:640x360@15` is 640x360 at 15 frames per second.
 */
import sharp from 'sharp';
import type { Frame, FrameSource, FramesOptions } from './frame.js';
import { SourceError } from './source-error.js';

/** Options of `SyntheticSource`. */
export interface SyntheticOptions {
  readonly width: number;
  readonly height: number;
  /** Frames per second the sequence is made for. */
  readonly fps: number;
  /** Encoding of the rendered frames (default JPEG). */
  readonly encoding?: 'jpeg' | 'png' | 'raw';
}

export const SYNTHETIC_PREFIX = 'synthetic:';
const DEFAULTS = { width: 640, height: 360, fps: 15 } as const;
const COLOURS = ['#d62728', '#2ca02c', '#1f77b4'] as const;
const MAX_SIDE = 8192;

/** Parses `synthetic:[WxH][@fps]`. */
export function parseSynthetic(spec: string): { width: number; height: number; fps: number } {
  const body = spec.slice(SYNTHETIC_PREFIX.length);
  const match = /^(?:(\d+)x(\d+))?(?:@(\d+(?:\.\d+)?))?$/.exec(body);
  if (match === null) throw new SourceError('INVALID_SOURCE', `cannot read ${JSON.stringify(spec)}: expected synthetic:WIDTHxHEIGHT@FPS, e.g. synthetic:640x360@15`);
  const width = match[1] === undefined ? DEFAULTS.width : Number(match[1]);
  const height = match[2] === undefined ? DEFAULTS.height : Number(match[2]);
  const fps = match[3] === undefined ? DEFAULTS.fps : Number(match[3]);
  if (width < 16 || height < 16 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new SourceError('INVALID_SOURCE', `${spec}: width and height must be from 16 to ${MAX_SIDE}`);
  }
  if (!(fps > 0)) throw new SourceError('INVALID_SOURCE', `${spec}: the frame rate must be above 0`);
  return { width, height, fps };
}

export class SyntheticSource implements FrameSource {
  readonly description: string;
  readonly live = false;
  readonly fps: number;
  readonly #options: SyntheticOptions;

  constructor(options: SyntheticOptions) {
    this.#options = options;
    this.fps = options.fps;
    this.description = `synthetic ${options.width}x${options.height} at ${options.fps} fps`;
  }

  /** Endless: stop it with a signal, a limit or by leaving the loop. */
  async *frames(options: FramesOptions = {}): AsyncGenerator<Frame> {
    const { width, height } = this.#options;
    const encoding = this.#options.encoding ?? 'jpeg';
    for (let index = 0; ; index++) {
      options.signal?.throwIfAborted();
      const image = sharp(Buffer.from(renderSvg(index, width, height, this.fps)));
      const data =
        encoding === 'raw'
          ? await image.removeAlpha().raw().toBuffer()
          : encoding === 'png'
            ? await image.png({ compressionLevel: 1 }).toBuffer()
            : await image.jpeg({ quality: 85 }).toBuffer();
      yield { index, id: String(index), data, encoding, width: encoding === 'raw' ? width : 0, height: encoding === 'raw' ? height : 0 };
    }
  }
}

/** Frame `index`: black text on white (what OCR models expect), plus a square that changes colour. */
export function renderSvg(index: number, width: number, height: number, fps: number): string {
  const size = Math.max(8, Math.round(height / 6));
  const text = `Sluice frame ${String(index).padStart(5, '0')}`;
  const textWidth = size * 0.62 * text.length;
  const travel = Math.max(1, width - textWidth);
  // Slides right then back, one way every four seconds of the sequence.
  const phase = ((index / fps) % 8) / 4;
  const x = Math.round((phase <= 1 ? phase : 2 - phase) * travel);
  const y = Math.round(height * 0.45);
  const square = Math.round(height / 5);
  const sx = Math.round(((index * 7) % Math.max(1, width - square)));
  const colour = COLOURS[Math.floor(index / Math.max(1, Math.round(fps))) % COLOURS.length];
  const seconds = (index / fps).toFixed(2);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="#000000">${text}</text>` +
    `<text x="${Math.round(size / 2)}" y="${height - Math.round(size / 2)}" font-family="DejaVu Sans Mono, monospace" font-size="${Math.round(size / 2)}" fill="#333333">t=${seconds}s</text>` +
    `<rect x="${sx}" y="${Math.round(height * 0.6)}" width="${square}" height="${square}" fill="${colour}"/>` +
    `</svg>`
  );
}
