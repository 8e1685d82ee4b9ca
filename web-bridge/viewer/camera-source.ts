/**
 * Frames from a camera through getUserMedia (needs localhost or https).
 */
import type { FrameSource } from './frame-source.js';

export class CameraSource implements FrameSource {
  readonly #video: HTMLVideoElement;
  readonly #stream: MediaStream;

  private constructor(video: HTMLVideoElement, stream: MediaStream) {
    this.#video = video;
    this.#stream = stream;
  }

  static async open(): Promise<CameraSource> {
    // Browsers only offer cameras to secure pages.
    if (navigator.mediaDevices === undefined) throw new Error('the camera needs the viewer on https or localhost');
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    return new CameraSource(video, stream);
  }

  size(): { width: number; height: number } {
    return { width: this.#video.videoWidth, height: this.#video.videoHeight };
  }

  draw(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    ctx.drawImage(this.#video, 0, 0, width, height);
  }

  close(): void {
    for (const track of this.#stream.getTracks()) track.stop();
    this.#video.srcObject = null;
  }
}
