/**
 * Frames with no camera: moving lines of dark text on a light background, with a frame counter,
 * so that text models have something to find (and browser tests need no device).
 */
import type { FrameSource } from './frame-source.js';

const WIDTH = 640;
const HEIGHT = 360;

export class SyntheticSource implements FrameSource {
  #frame = 0;

  size(): { width: number; height: number } {
    return { width: WIDTH, height: HEIGHT };
  }

  draw(ctx: CanvasRenderingContext2D, width: number, height: number, now: number): void {
    const sx = width / WIDTH;
    const sy = height / HEIGHT;
    ctx.save();
    ctx.scale(sx, sy);
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    const t = now / 1000;
    ctx.fillStyle = '#111';
    ctx.font = 'bold 52px "DejaVu Sans", Arial, sans-serif';
    ctx.fillText('Hello Sluice', 40 + 120 * (1 + Math.sin(t * 0.8)) * 0.5, 110);
    ctx.font = '40px "DejaVu Sans", Arial, sans-serif';
    ctx.fillText(`frame ${String(this.#frame).padStart(5, '0')}`, 60 + 160 * (1 + Math.cos(t * 0.6)) * 0.5, 220);
    ctx.fillStyle = '#1565c0';
    ctx.font = '32px "DejaVu Sans", Arial, sans-serif';
    ctx.fillText('live stream', 360 - 100 * (1 + Math.sin(t * 1.1)) * 0.5, 310);
    ctx.restore();
    this.#frame++;
  }

  close(): void {}
}
