/**
 * Rendered test frames, so that a stream can be tried with no file or camera: a few lines of
 * changing text at different sizes and small angles, one of them upside down, a time stamp and a
 * moving coloured square, drawn from SVG by sharp. The lines give each stage of the OCR pipeline
 * something to show: the detector finds tilted lines, the orientation classifier turns the
 * upside-down one, the recogniser reads text that changes every frame. `synthetic:640x360@15` is
 * 640x360 at 15 frames per second.
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
/** The scene is laid out on a 640x360 page, scaled to fit the requested size and centred. */
const PAGE = { width: 640, height: 360 } as const;
/** What the second line says, a new phrase every `PHRASE_SECONDS` of the sequence. */
const PHRASES = ['hello world', 'stream of frames', 'read me if you can', 'batches of crops', 'onnx runtime', 'live predictions', 'text at an angle'] as const;
const PHRASE_SECONDS = 2;
const SANS = 'DejaVu Sans, sans-serif';
const MONO = 'DejaVu Sans Mono, monospace';

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

/** A line of text centred on (x, y) of the page, turned by `degrees` clockwise. */
function line(text: string, x: number, y: number, degrees: number, size: number, fill: string, font = SANS): string {
  // The baseline sits about a third of the font size below the line's middle.
  return (
    `<g transform="translate(${x.toFixed(1)} ${y.toFixed(1)}) rotate(${degrees.toFixed(2)})">` +
    `<text x="0" y="${(size * 0.35).toFixed(1)}" text-anchor="middle" font-family="${font}" font-size="${size}" fill="${fill}">${text}</text></g>`
  );
}

/**
 * Frame `index`: dark text on white (what OCR models expect). From the top: `Sluice frame NNNNN`
 * (large, sliding, tilting a few degrees either way), a phrase that changes every two seconds
 * (smaller, tilted the other way), `upside down N` turned 180° (N counts seconds), then a time
 * stamp and a square that moves and changes colour. The lines keep clear of one another so that
 * the detector never merges two.
 */
export function renderSvg(index: number, width: number, height: number, fps: number): string {
  const t = index / fps;
  const wave = (period: number): number => Math.sin((2 * Math.PI * t) / period);
  const scale = Math.min(width / PAGE.width, height / PAGE.height);
  const left = (width - PAGE.width * scale) / 2;
  const top = (height - PAGE.height * scale) / 2;
  const phrase = PHRASES[Math.floor(t / PHRASE_SECONDS) % PHRASES.length] ?? PHRASES[0];
  const square = 40;
  const squareX = 200 + ((index * 7) % (PAGE.width - 200 - square));
  const colour = COLOURS[Math.floor(index / Math.max(1, Math.round(fps))) % COLOURS.length];
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<g transform="translate(${left.toFixed(1)} ${top.toFixed(1)}) scale(${scale.toFixed(4)})">` +
    line(`Sluice frame ${String(index).padStart(5, '0')}`, 320 + 60 * wave(8), 76, 3 * wave(12), 44, '#000000') +
    line(phrase, 230 + 40 * wave(10), 162, -4 - 2 * wave(9), 30, '#0d2a6b') +
    // Upside down but for a slow wobble: the classifier must turn it before it can be read.
    line(`upside down ${Math.floor(t)}`, 400 - 30 * wave(11), 246, 180 + 2 * wave(15), 34, '#3b0a0a') +
    `<text x="16" y="340" font-family="${MONO}" font-size="20" fill="#333333">t=${t.toFixed(2)}s</text>` +
    `<rect x="${squareX}" y="302" width="${square}" height="${square}" fill="${colour}"/>` +
    `</g></svg>`
  );
}
