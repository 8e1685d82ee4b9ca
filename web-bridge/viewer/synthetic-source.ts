/**
 * Frames with no camera, so that text models have something to find (and browser tests need no
 * device): the same scene as the CLI's `synthetic:` source. A few lines of changing dark text on
 * white at different sizes and small angles, one upside down, a time stamp and a moving square.
 */
import type { FrameSource } from './frame-source.js';

const WIDTH = 640;
const HEIGHT = 360;
const PHRASES = ['hello world', 'stream of frames', 'read me if you can', 'batches of crops', 'onnx runtime', 'live predictions', 'text at an angle'] as const;
const PHRASE_SECONDS = 2;
const COLOURS = ['#d62728', '#2ca02c', '#1f77b4'] as const;
const SANS = '"DejaVu Sans", Arial, sans-serif';

/** Draws `text` centred on (x, y), turned by `degrees` clockwise. */
function line(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, degrees: number, font: string, fill: string): void {
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate((degrees * Math.PI) / 180);
  ctx.font = font;
  ctx.fillStyle = fill;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 0, 0);
  ctx.restore();
}

/** The scene drawn afresh for each frame, its text changing with the frame count and the time. */
export class SyntheticSource implements FrameSource {
  #frame = 0;
  readonly #started = performance.now();

  size(): { width: number; height: number } {
    return { width: WIDTH, height: HEIGHT };
  }

  draw(ctx: CanvasRenderingContext2D, width: number, height: number, now: number): void {
    const t = (now - this.#started) / 1000;
    const wave = (period: number): number => Math.sin((2 * Math.PI * t) / period);
    ctx.save();
    ctx.scale(width / WIDTH, height / HEIGHT);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    line(ctx, `Sluice frame ${String(this.#frame).padStart(5, '0')}`, 320 + 60 * wave(8), 76, 3 * wave(12), `44px ${SANS}`, '#000');
    line(ctx, PHRASES[Math.floor(t / PHRASE_SECONDS) % PHRASES.length] ?? PHRASES[0], 230 + 40 * wave(10), 162, -4 - 2 * wave(9), `30px ${SANS}`, '#0d2a6b');
    // Upside down but for a slow wobble: the OCR pipeline's classifier must turn it to read it.
    line(ctx, `upside down ${Math.floor(t)}`, 400 - 30 * wave(11), 246, 180 + 2 * wave(15), `34px ${SANS}`, '#3b0a0a');
    ctx.fillStyle = '#333';
    ctx.font = '20px "DejaVu Sans Mono", monospace';
    ctx.textAlign = 'left';
    ctx.fillText(`t=${t.toFixed(2)}s`, 16, 340);
    ctx.fillStyle = COLOURS[Math.floor(t) % COLOURS.length] ?? COLOURS[0];
    ctx.fillRect(200 + ((this.#frame * 7) % (WIDTH - 240)), 302, 40, 40);
    ctx.restore();
    this.#frame++;
  }

  close(): void {}
}
