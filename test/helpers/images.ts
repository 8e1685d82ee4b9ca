/**
 * Test images made on the spot with sharp: rendered text lines and flat colours.
 */
import sharp from 'sharp';

/** A line of text drawn on the canvas, and where it was drawn. */
export interface TextLine {
  readonly text: string;
  readonly x: number;
  /** Baseline. */
  readonly y: number;
  readonly size: number;
}

/** Black text on white, as a PNG. */
export async function renderText(width: number, height: number, lines: readonly TextLine[]): Promise<Buffer> {
  const body = lines
    .map((l) => `<text x="${l.x}" y="${l.y}" font-family="DejaVu Sans, sans-serif" font-size="${l.size}" fill="#000">${l.text}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A flat colour, as a PNG. */
export function solidPng(width: number, height: number, rgb: readonly [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
}
