/**
 * Draws a frame and its prediction: boxes or polygons with their text or label, peaks as X
 * marks, the top class in a corner, an error or drop as a banner. Coordinates come in the
 * pixels of the image the item carried and are scaled to the frame drawn.
 */
import type { ViewDetection, ViewPoint, ViewResult } from './read-result.js';

const BOX = '#00e676';
const PEAK = '#ff1744';
const LABEL_BG = 'rgba(0, 0, 0, 0.65)';

export interface PaintedFrame {
  readonly detections: number;
  readonly points: number;
}

function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, color: string): void {
  ctx.font = '14px system-ui, sans-serif';
  const width = ctx.measureText(text).width + 6;
  const top = Math.max(0, y - 18);
  ctx.fillStyle = LABEL_BG;
  ctx.fillRect(x, top, width, 18);
  ctx.fillStyle = color;
  ctx.fillText(text, x + 3, top + 14);
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

/** Paints `image` (w x h) on `canvas`, resizing the canvas to it, then the result's overlays. */
export function paintFrame(canvas: HTMLCanvasElement, image: CanvasImageSource, width: number, height: number, result: ViewResult | undefined): PaintedFrame {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) return { detections: 0, points: 0 };
  ctx.drawImage(image, 0, 0, width, height);
  const prediction = result?.prediction;
  if (result?.kind === 'error') label(ctx, `error ${result.error?.code ?? ''}: ${result.error?.message ?? ''}`, 0, 18, '#ff8a80');
  if (prediction === undefined) return { detections: 0, points: 0 };
  const sx = prediction.imageWidth > 0 ? width / prediction.imageWidth : 1;
  const sy = prediction.imageHeight > 0 ? height / prediction.imageHeight : 1;
  ctx.lineWidth = 2;
  ctx.strokeStyle = BOX;
  for (const d of prediction.detections) {
    const corner = outline(ctx, d, sx, sy);
    const text = d.text !== '' ? d.text : d.label !== '' ? `${d.label} ${d.score.toFixed(2)}` : d.score.toFixed(2);
    label(ctx, text, corner.x, corner.y, BOX);
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
  const top = prediction.classes[0];
  if (top !== undefined) label(ctx, `${top.label} ${(top.score * 100).toFixed(1)}%`, 0, height, '#fff');
  if (prediction.text !== '') label(ctx, prediction.text, 0, 18, '#fff');
  return { detections: prediction.detections.length, points: prediction.points.length };
}
