/**
 * What every frame source yields: one image, encoded or as raw RGB pixels, with its position.
 */

/** How a frame's bytes are laid out: an encoded file, or raw 8-bit RGB pixels. */
export type FrameEncoding = 'jpeg' | 'png' | 'webp' | 'raw' | 'other';

/** One image from a source. */
export interface Frame {
  /** Position in the source, from 0. */
  readonly index: number;
  /** Echoed by the server: the file path for image files, the frame number otherwise. */
  readonly id: string;
  readonly data: Buffer;
  readonly encoding: FrameEncoding;
  /** Pixels; known for raw frames, 0 when the size is only inside the encoded bytes. */
  readonly width: number;
  readonly height: number;
}

/** Options of `FrameSource.frames`. */
export interface FramesOptions {
  /** Stops the source: a pending read rejects with the signal's reason and child processes end. */
  readonly signal?: AbortSignal;
}

/** A sequence of frames: a video, a camera, a folder of images, rendered test frames. */
export interface FrameSource {
  /** For people: what is being read. */
  readonly description: string;
  /**
   * True when frames come at the source's own pace whether they are read or not (a camera);
   * false when the next frame is made when it is asked for (a file, a folder, rendered frames).
   */
  readonly live: boolean;
  /**
   * Frames per second the source was made at, when it has one (a video's rate, `synthetic:@15`).
   * For a video it is known once the first frame has been read.
   */
  readonly fps: number | undefined;
  /** Yields the frames in order; leaving the loop early releases the source. */
  frames(options?: FramesOptions): AsyncIterable<Frame>;
}

/** A width and height in pixels; a height of 0 keeps the aspect ratio. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Recognises JPEG, PNG and WebP by their first bytes. */
export function sniffEncoding(data: Uint8Array): FrameEncoding {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return 'webp';
  return 'other';
}

function ascii(data: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...data.subarray(start, end));
}
