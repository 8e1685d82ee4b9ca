/**
 * The evaluation set: images of 1 to 4 lines of English words and numbers in several typefaces
 * and sizes, some upside down, on plain or noisy backgrounds. Everything follows from the seed;
 * image `i` depends only on the seed and `i`.
 */
import sharp from 'sharp';
import { type Bounds, quadOf } from '../metrics/boxes.js';
import { type Rgb, drawBackground } from './draw-background.js';
import type { Background, EvalImage, GroundTruthLine, Orientation } from './eval-image.js';
import { FONT_FACES, FONT_SIZES, type FontFace } from './fonts.js';
import { type Random, createRandom, deriveSeed } from './random.js';
import { type DrawnLine, inkBounds, measureText, svgCanvas, textElement } from './render-line.js';
import { randomToken } from './word-list.js';

/** Options of `generateDataset`. */
export interface DatasetOptions {
  /** Any 32-bit integer. */
  readonly seed: number;
  /** Number of images; even indices get clean backgrounds, odd ones noisy. */
  readonly images: number;
  /** Share of lines drawn upside down (default 0.25). */
  readonly upsideDownShare?: number;
}

/** The seed `npm run eval` uses unless told otherwise. */
export const DEFAULT_SEED = 20_260_501;

/** Renders the set in memory. */
export async function generateDataset(options: DatasetOptions): Promise<EvalImage[]> {
  const images: EvalImage[] = [];
  for (let index = 0; index < options.images; index++) images.push(await generateImage(options, index));
  return images;
}

/** Image `index` of the set of `options.seed`. */
export async function generateImage(options: DatasetOptions, index: number): Promise<EvalImage> {
  const random = createRandom(deriveSeed(options.seed, index));
  const background: Background = index % 2 === 0 ? 'clean' : 'noisy';
  const width = 2 * random.int(280, 400);
  const marginX = random.int(12, 40);
  let cursor = random.int(12, 40);
  const lines: DrawnLine[] = [];
  const planned: Bounds[] = [];
  const lineCount = random.int(1, 4);
  for (let i = 0; i < lineCount; i++) {
    const size = random.pick(FONT_SIZES);
    const face = random.pick(FONT_FACES);
    const { text, ink } = await fitText(random, face, size, width - 2 * marginX);
    if (i > 0) cursor += Math.round(size * random.float(0.4, 1));
    const x = marginX + random.int(0, width - 2 * marginX - (ink.x1 - ink.x0)) - ink.x0;
    const baseline = cursor - ink.y0;
    const box = { x0: x + ink.x0, y0: baseline + ink.y0, x1: x + ink.x1, y1: baseline + ink.y1 };
    const orientation: Orientation = random.chance(options.upsideDownShare ?? 0.25) ? '180' : '0';
    const colour = textColour(background, random);
    lines.push({ text, face, size, colour, x, baseline, orientation, pivot: { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 } });
    planned.push(box);
    cursor = box.y1;
  }
  const height = cursor + random.int(12, 40);

  const ground: GroundTruthLine[] = [];
  for (const [i, line] of lines.entries()) {
    const ink = await inkBounds(svgCanvas(width, height, [textElement(line)]));
    if (ink === undefined || !near(ink, planned[i]!)) {
      throw new Error(`image ${index} line ${i} ("${line.text}") was drawn at ${JSON.stringify(ink)}, planned ${JSON.stringify(planned[i])}`);
    }
    ground.push({ text: line.text, quad: quadOf(ink), orientation: line.orientation, font: line.face.name, size: line.size });
  }

  const raw = drawBackground(background, width, height, random);
  const png = await sharp(raw.data, { raw: { width, height, channels: 3 } })
    .composite([{ input: svgCanvas(width, height, lines.map(textElement)) }])
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { id: `img-${String(index).padStart(3, '0')}`, width, height, background, png, lines: ground };
}

/** A single token (three times in ten) or 2 to 4 tokens, shortened until the ink fits `maxWidth`. */
async function fitText(random: Random, face: FontFace, size: number, maxWidth: number): Promise<{ text: string; ink: Bounds }> {
  const count = random.chance(0.3) ? 1 : random.int(2, 4);
  const tokens = Array.from({ length: count }, () => randomToken(random));
  for (;;) {
    const text = tokens.join(' ');
    const ink = await measureText(text, face, size);
    if (ink.x1 - ink.x0 <= maxWidth) return { text, ink };
    if (tokens.length === 1) throw new Error(`"${text}" in ${face.name} ${size}px is wider than ${maxWidth}px`);
    tokens.pop();
  }
}

/** Near-black on plain backgrounds; mid-dark, tinted and so lower-contrast on noisy ones. */
function textColour(background: Background, random: Random): Rgb {
  if (background === 'clean') {
    const grey = random.int(0, 50);
    return [grey, grey, grey];
  }
  const base = random.int(30, 110);
  const tint = (): number => Math.max(0, Math.min(255, base + random.int(-25, 25)));
  return [tint(), tint(), tint()];
}

/** Rendering the same line at another place may move its ink by a pixel through rounding. */
function near(a: Bounds, b: Bounds): boolean {
  return Math.abs(a.x0 - b.x0) <= 1 && Math.abs(a.y0 - b.y0) <= 1 && Math.abs(a.x1 - b.x1) <= 1 && Math.abs(a.y1 - b.y1) <= 1;
}
