/**
 * Draws a frame and its prediction: a segmentation mask as a translucent layer, boxes or polygons
 * with their text or label and score, peaks as X marks, the largest classes of a mask, the top
 * class in a corner, an error or drop as a banner. Coordinates come in the pixels of the image
 * the item carried and are scaled to the frame drawn.
 */
import type { ViewDetection, ViewPoint, ViewResult } from './read-result.js';

const BOX = '#00e676';
const PEAK = '#ff1744';
const LABEL_BG = 'rgba(0, 0, 0, 0.65)';
/** Enough to see the image through the mask, and the mask over a busy image. */
const MASK_ALPHA = 0.45;
/** Classes of a mask listed on the frame; the side panel lists more. */
const SHARES_SHOWN = 3;

export interface PaintedFrame {
  readonly detections: number;
  readonly points: number;
  /** Whether a segmentation mask was drawn. */
  readonly mask: boolean;
}

/** Draws text on a dark plate, kept inside the canvas; returns the plate's height. */
function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, color: string, swatch?: string): number {
  const size = fontSize(ctx.canvas.width);
  ctx.font = `${size}px system-ui, sans-serif`;
  const height = size + 4;
  const box = swatch === undefined ? 0 : size;
  const width = ctx.measureText(text).width + 6 + (box === 0 ? 0 : box + 4);
  // A label at the right or bottom edge would be cut off: shift it back inside.
  const left = Math.max(0, Math.min(x, ctx.canvas.width - width));
  const top = Math.max(0, Math.min(y - height, ctx.canvas.height - height));
  ctx.fillStyle = LABEL_BG;
  ctx.fillRect(left, top, width, height);
  if (swatch !== undefined) {
    ctx.fillStyle = swatch;
    ctx.fillRect(left + 3, top + 2, box, box);
  }
  ctx.fillStyle = color;
  ctx.fillText(text, left + 3 + (box === 0 ? 0 : box + 4), top + size);
  return height;
}

/** 14px on small frames, growing with wide ones so that labels stay legible once scaled to the page. */
function fontSize(canvasWidth: number): number {
  return Math.max(14, Math.round(canvasWidth / 90));
}

function outline(ctx: CanvasRenderingContext2D, d: ViewDetection, sx: number, sy: number): ViewPoint {
  ctx.beginPath();
  if (d.polygon.length >= 3) {
    d.polygon.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x * sx, p.y * sy) : ctx.lineTo(p.x * sx, p.y * sy)));
    ctx.closePath();
  } else {
    ctx.rect(d.xMin * sx, d.yMin * sy, (d.xMax - d.xMin) * sx, (d.yMax - d.yMin) * sy);
  }
  ctx.stroke();
  return { x: d.xMin * sx, y: d.yMin * sy };
}

/** What a detection's plate says: recognised text, else its label and score. */
export function detectionText(d: ViewDetection): string {
  if (d.text !== '') return d.text;
  return d.label !== '' ? `${d.label} ${d.score.toFixed(2)}` : d.score.toFixed(2);
}

/**
 * Paints `image` (w x h) on `canvas`, resizing the canvas to it, then the result's overlays.
 * `mask` is the result's segmentation mask, decoded (see `decodeMask`): it covers the whole image,
 * so it is stretched over the frame, without smoothing so that class borders stay sharp.
 */
export function paintFrame(canvas: HTMLCanvasElement, image: CanvasImageSource, width: number, height: number, result: ViewResult | undefined, mask?: CanvasImageSource): PaintedFrame {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) return { detections: 0, points: 0, mask: false };
  ctx.drawImage(image, 0, 0, width, height);
  const prediction = result?.prediction;
  if (result?.kind === 'error') label(ctx, `error ${result.error?.code ?? ''}: ${result.error?.message ?? ''}`, 0, 18, '#ff8a80');
  if (prediction === undefined) return { detections: 0, points: 0, mask: false };
  if (mask !== undefined) {
    ctx.save();
    ctx.globalAlpha = MASK_ALPHA;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(mask, 0, 0, width, height);
    ctx.restore();
  }
  const sx = prediction.imageWidth > 0 ? width / prediction.imageWidth : 1;
  const sy = prediction.imageHeight > 0 ? height / prediction.imageHeight : 1;
  ctx.lineWidth = 2;
  ctx.strokeStyle = BOX;
  for (const d of prediction.detections) {
    const corner = outline(ctx, d, sx, sy);
    label(ctx, detectionText(d), corner.x, corner.y, BOX);
  }
  ctx.strokeStyle = PEAK;
  for (const p of prediction.points) {
    const x = p.x * sx;
    const y = p.y * sy;
    ctx.beginPath();
    ctx.moveTo(x - 6, y - 6);
    ctx.lineTo(x + 6, y + 6);
    ctx.moveTo(x + 6, y - 6);
    ctx.lineTo(x - 6, y + 6);
    ctx.stroke();
    if (p.label !== '') label(ctx, p.label, x + 8, y, PEAK);
  }
  let textTop = 0;
  if (prediction.text !== '') textTop += label(ctx, prediction.text, 0, textTop + fontSize(width) + 4, '#fff');
  for (const share of prediction.segmentation?.classes.slice(0, SHARES_SHOWN) ?? []) {
    textTop += label(ctx, `${share.label} ${(share.share * 100).toFixed(1)}%`, 0, textTop + fontSize(width) + 4, '#fff', share.color === '' ? undefined : share.color);
  }
  const top = prediction.classes[0];
  if (top !== undefined) label(ctx, `${top.label} ${(top.score * 100).toFixed(1)}%`, 0, height, '#fff');
  return { detections: prediction.detections.length, points: prediction.points.length, mask: mask !== undefined };
}
