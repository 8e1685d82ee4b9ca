/**
 * Lines of text as SVG, and the ink they leave: each line is measured by rendering it alone on a
 * transparent canvas, so ground-truth boxes are exactly where the glyphs landed.
 */
import sharp from 'sharp';
import type { Bounds } from '../metrics/boxes.js';
import type { Rgb } from './draw-background.js';
import type { Orientation } from './eval-image.js';
import type { FontFace } from './fonts.js';

/** A pixel counts as ink from this alpha on (a quarter covered), so faint anti-aliasing does not widen boxes. */
export const INK_ALPHA = 64;

/** A line of text, where and how it is drawn. */
export interface DrawnLine {
  readonly text: string;
  readonly face: FontFace;
  readonly size: number;
  readonly colour: Rgb;
  /** Start of the text's baseline, before any turn. */
  readonly x: number;
  readonly baseline: number;
  readonly orientation: Orientation;
  /** Point the line is turned about when upside down: the centre of its upright ink. */
  readonly pivot: { readonly x: number; readonly y: number };
}

/** The SVG `<text>` element of a line. */
export function textElement(line: DrawnLine): string {
  const { face } = line;
  const turn = line.orientation === '180' ? ` transform="rotate(180 ${line.pivot.x} ${line.pivot.y})"` : '';
  const fill = `rgb(${line.colour.join(',')})`;
  return (
    `<text x="${line.x}" y="${line.baseline}" font-family="${face.family}" font-weight="${face.weight}" ` +
    `font-style="${face.style}" font-size="${line.size}" fill="${fill}"${turn}>${escapeXml(line.text)}</text>`
  );
}

/** A transparent SVG canvas holding `elements`. */
export function svgCanvas(width: number, height: number, elements: readonly string[]): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${elements.join('')}</svg>`);
}

/** Bounds of the ink of an SVG canvas, or undefined when nothing reaches `INK_ALPHA`. */
export async function inkBounds(svg: Buffer): Promise<Bounds | undefined> {
  const { data, info } = await sharp(svg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      if (data[row + x * channels + channels - 1]! >= INK_ALPHA) {
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        y1 = y + 1;
      }
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : undefined;
}

/**
 * Where the ink of `text` lands relative to its anchor (x = 0 on the baseline): rendered upright
 * on a canvas wide enough for any glyph.
 */
export async function measureText(text: string, face: FontFace, size: number): Promise<Bounds> {
  const margin = size;
  const line: DrawnLine = {
    text,
    face,
    size,
    colour: [0, 0, 0],
    x: margin,
    baseline: margin * 2,
    orientation: '0',
    pivot: { x: 0, y: 0 },
  };
  const bounds = await inkBounds(svgCanvas(text.length * size + margin * 2, size * 4, [textElement(line)]));
  if (bounds === undefined) throw new Error(`"${text}" in ${face.name} ${size}px left no ink`);
  return { x0: bounds.x0 - line.x, y0: bounds.y0 - line.baseline, x1: bounds.x1 - line.x, y1: bounds.y1 - line.baseline };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
