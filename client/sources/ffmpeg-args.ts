/**
 * ffmpeg command lines for frame sources. A video file and a camera differ only in their input
 * arguments; the output side (one frame after another on stdout) is shared.
 */
import type { Size } from './frame.js';

/** What ffmpeg reads. */
export interface FfmpegInput {
  /** A file, a device (`/dev/video0`) or whatever the input format takes (`testsrc` for lavfi). */
  readonly url: string;
  /** ffmpeg's `-f` before `-i` (v4l2, avfoundation, dshow, lavfi...); absent lets ffmpeg probe. */
  readonly format?: string | undefined;
  /** Input options placed before `-i`, e.g. `['-framerate', '30']`. */
  readonly options?: readonly string[];
}

/** What ffmpeg writes on stdout. */
export interface FfmpegOutput {
  /** `jpeg`: concatenated JPEG files; `raw`: packed RGB24 frames of a fixed size. */
  readonly encoding: 'jpeg' | 'raw';
  /** Scale every frame (a height of 0 keeps the aspect ratio, rounded to an even number). */
  readonly resize?: Size | undefined;
  /** JPEG quality on ffmpeg's 2 (best) to 31 scale. */
  readonly jpegQuality?: number;
}

/** Input arguments for a camera device; `/dev/video*` is read through Video4Linux2. */
export function cameraInput(device: string, format = 'v4l2'): FfmpegInput {
  return { url: device, format };
}

/** Input arguments for a file (any container and codec ffmpeg reads). */
export function fileInput(path: string): FfmpegInput {
  return { url: path };
}

/** The full argument list: quiet but for the stream description and errors, video only. */
export function ffmpegArgs(input: FfmpegInput, output: FfmpegOutput): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  if (input.format !== undefined) args.push('-f', input.format);
  args.push(...(input.options ?? []), '-i', input.url, '-map', '0:v:0', '-an', '-sn');
  if (output.resize !== undefined) {
    const { width, height } = output.resize;
    args.push('-vf', `scale=${width}:${height === 0 ? -2 : height}`);
  }
  if (output.encoding === 'jpeg') {
    // Full-range 4:2:0, as JPEG files are; quality 3 keeps text readable for OCR models.
    args.push('-f', 'image2pipe', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(output.jpegQuality ?? 3));
  } else {
    args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24');
  }
  args.push('pipe:1');
  return args;
}
