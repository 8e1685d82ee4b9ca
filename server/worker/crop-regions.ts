/**
 * Cuts detected regions out of a decoded image as upright RGB8 crops: each quadrilateral (corners
 * clockwise from top-left) is mapped onto a rectangle of the requested height, so rotated text
 * comes out straight. Bilinear sampling; pixel centres at +0.5.
 */
import type { Point } from '../../gen/ts/sluice/v1/inference_service.js';
import { PixelFormat } from '../../gen/ts/sluice/v1/image.js';
import type { RgbImage } from './preprocess/image-preprocess.js';
import type { ImageData } from './task.js';

/** Crops wider than this many times their height are cut at this ratio (the rest squeezed). */
const MAX_ASPECT = 32;

const distance = (a: Point, b: Point): number => Math.hypot(b.x - a.x, b.y - a.y);

/** One crop per quadrilateral, `height` pixels tall and as wide as its aspect ratio says. */
export function cropRegions(image: RgbImage, quads: readonly (readonly Point[])[], height: number): ImageData[] {
  return quads.map((quad) => cropQuad(image, quad, height));
}

function cropQuad(image: RgbImage, quad: readonly Point[], height: number): ImageData {
  const [p0, p1, p2, p3] = quad as [Point, Point, Point, Point];
  const boxWidth = (distance(p0, p1) + distance(p3, p2)) / 2;
  const boxHeight = Math.max(1, (distance(p0, p3) + distance(p1, p2)) / 2);
  const width = Math.max(1, Math.min(Math.round((height * boxWidth) / boxHeight), height * MAX_ASPECT));
  const out = new Uint8Array(width * height * 3);
  const { data, width: w, height: h } = image;
  let o = 0;
  for (let v = 0; v < height; v++) {
    const t = (v + 0.5) / height;
    // Points on the left and right edges at this row; the row runs between them.
    const lx = p0.x + (p3.x - p0.x) * t;
    const ly = p0.y + (p3.y - p0.y) * t;
    const rx = p1.x + (p2.x - p1.x) * t;
    const ry = p1.y + (p2.y - p1.y) * t;
    for (let u = 0; u < width; u++) {
      const s = (u + 0.5) / width;
      const x = Math.min(Math.max(lx + (rx - lx) * s - 0.5, 0), w - 1);
      const y = Math.min(Math.max(ly + (ry - ly) * s - 0.5, 0), h - 1);
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const x1 = Math.min(x0 + 1, w - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const fx = x - x0;
      const fy = y - y0;
      const a = (y0 * w + x0) * 3;
      const b = (y0 * w + x1) * 3;
      const c = (y1 * w + x0) * 3;
      const d = (y1 * w + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = (data[a + ch] as number) * (1 - fx) + (data[b + ch] as number) * fx;
        const bottom = (data[c + ch] as number) * (1 - fx) + (data[d + ch] as number) * fx;
        out[o++] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { data: out, width, height, pixelFormat: PixelFormat.PIXEL_FORMAT_RGB8 };
}
