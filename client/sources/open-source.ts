/**
 * Turns what the user typed into a frame source:
 * - `synthetic:[WxH][@fps]`: rendered test frames;
 * - `/dev/video0` or `camera:<device>`: a camera through ffmpeg (Video4Linux2 unless
 *   `inputFormat` says otherwise: avfoundation on macOS, dshow on Windows);
 * - a URL (`rtsp://...`) or a file that is not an image: a video decoded by ffmpeg;
 * - a folder, a glob pattern or an image file: image files.
 */
import { stat } from 'node:fs/promises';
import { type FfmpegInput, cameraInput, fileInput } from './ffmpeg-args.js';
import { FfmpegSource } from './ffmpeg-source.js';
import type { FrameSource, Size } from './frame.js';
import { isGlob } from './glob-pattern.js';
import { IMAGE_EXTENSIONS, ImageFilesSource } from './image-files-source.js';
import { SourceError } from './source-error.js';
import { SYNTHETIC_PREFIX, SyntheticSource, parseSynthetic } from './synthetic-source.js';

/** Options of `openSource`. */
export interface OpenSourceOptions {
  /** ffmpeg's input format (`-f` before `-i`); forces the ffmpeg path. */
  readonly inputFormat?: string | undefined;
  /** What the frames should end up as; sources that make frames produce this directly. */
  readonly encoding?: 'jpeg' | 'png' | 'raw' | undefined;
  /** Size the frames should end up at; ffmpeg scales them itself. */
  readonly resize?: Size | undefined;
  /** ffmpeg to run; defaults to `resolveFfmpegPath()`. */
  readonly ffmpegPath?: string | undefined;
}

const CAMERA_PREFIX = 'camera:';
/** Input formats that capture: frames come at the device's pace whether read or not. */
const LIVE_FORMATS = new Set(['v4l2', 'video4linux2', 'avfoundation', 'dshow', 'x11grab', 'gdigrab', 'kmsgrab', 'fbdev']);
const LIVE_PROTOCOLS = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'udp', 'rtp', 'srt', 'tcp']);

export async function openSource(spec: string, options: OpenSourceOptions = {}): Promise<FrameSource> {
  if (spec.startsWith(SYNTHETIC_PREFIX)) {
    return new SyntheticSource({ ...parseSynthetic(spec), encoding: options.encoding ?? 'jpeg' });
  }
  const ffmpeg = (input: FfmpegInput, live: boolean, description: string): FrameSource => ffmpegSource(input, live, description, options);
  if (spec.startsWith(CAMERA_PREFIX) || /^\/dev\/video\d+$/.test(spec)) {
    const device = spec.startsWith(CAMERA_PREFIX) ? spec.slice(CAMERA_PREFIX.length) : spec;
    if (device === '') throw new SourceError('INVALID_SOURCE', 'camera: needs a device, e.g. camera:/dev/video0');
    const format = options.inputFormat ?? 'v4l2';
    return ffmpeg(cameraInput(device, format), true, `camera ${device} (${format})`);
  }
  if (options.inputFormat !== undefined) {
    return ffmpeg({ url: spec, format: options.inputFormat }, LIVE_FORMATS.has(options.inputFormat), `${spec} (${options.inputFormat})`);
  }
  const protocol = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec)?.[1]?.toLowerCase();
  if (protocol !== undefined && protocol !== 'file') {
    return ffmpeg(fileInput(spec), LIVE_PROTOCOLS.has(protocol), spec);
  }
  if (isGlob(spec)) return ImageFilesSource.open(spec);
  const info = await stat(spec).catch((err: unknown) => {
    throw new SourceError('SOURCE_NOT_FOUND', `cannot read ${spec}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  });
  const extension = spec.slice(spec.lastIndexOf('.')).toLowerCase();
  if (info.isDirectory() || IMAGE_EXTENSIONS.has(extension)) return ImageFilesSource.open(spec);
  return ffmpeg(fileInput(spec), false, spec);
}

function ffmpegSource(input: FfmpegInput, live: boolean, description: string, options: OpenSourceOptions): FfmpegSource {
  return new FfmpegSource({
    input,
    live,
    description,
    // PNG is made from raw pixels by the encoding step; JPEG comes straight from ffmpeg.
    output: { encoding: options.encoding === undefined || options.encoding === 'jpeg' ? 'jpeg' : 'raw', resize: options.resize },
    ...(options.ffmpegPath === undefined ? {} : { ffmpegPath: options.ffmpegPath }),
  });
}
