/**
 * Where the browser's frames come from: something that can draw its current picture on a canvas.
 */
export interface FrameSource {
  /** Size of the current picture; 0 x 0 until the source is ready. */
  size(): { readonly width: number; readonly height: number };
  /** Draws the current picture scaled to width x height. */
  draw(ctx: CanvasRenderingContext2D, width: number, height: number, now: number): void;
  /** Releases the camera, the file or the timer behind it. */
  close(): void;
}
