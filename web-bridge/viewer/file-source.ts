/**
 * Frames from a file the user picked: a video played in a loop, or a still image sent again and
 * again.
 */
import type { FrameSource } from './frame-source.js';

export class FileSource implements FrameSource {
  readonly #picture: HTMLVideoElement | ImageBitmap;
  readonly #url: string | undefined;

  private constructor(picture: HTMLVideoElement | ImageBitmap, url: string | undefined) {
    this.#picture = picture;
    this.#url = url;
  }

  static async open(file: File): Promise<FileSource> {
    if (file.type.startsWith('image/')) return new FileSource(await createImageBitmap(file), undefined);
    const url = URL.createObjectURL(file);
    const video = document.createElement('video');
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.src = url;
    try {
      await video.play();
    } catch (err: unknown) {
      URL.revokeObjectURL(url);
      throw err;
    }
    return new FileSource(video, url);
  }

  size(): { width: number; height: number } {
    const p = this.#picture;
    return p instanceof ImageBitmap ? { width: p.width, height: p.height } : { width: p.videoWidth, height: p.videoHeight };
  }

  draw(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    ctx.drawImage(this.#picture, 0, 0, width, height);
  }

  close(): void {
    const p = this.#picture;
    if (p instanceof ImageBitmap) {
      p.close();
      return;
    }
    p.pause();
    p.removeAttribute('src');
    if (this.#url !== undefined) URL.revokeObjectURL(this.#url);
  }
}
