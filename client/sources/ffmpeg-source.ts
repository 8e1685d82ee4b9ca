/**
 * Frames decoded by an ffmpeg child process: a video file, a camera, or any input ffmpeg reads.
 * ffmpeg writes either concatenated JPEGs or packed RGB24 frames on stdout; this source splits
 * them, learns the frame rate and size from ffmpeg's stderr, and turns a failing ffmpeg into a
 * `SourceError` that carries the end of its stderr.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type FfmpegInput, type FfmpegOutput, ffmpegArgs } from './ffmpeg-args.js';
import { resolveFfmpegPath } from './ffmpeg-binary.js';
import { FfmpegLog, type FfmpegStreamInfo } from './ffmpeg-log.js';
import type { Frame, FrameSource, FramesOptions } from './frame.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { SourceError } from './source-error.js';

/** Options of `FfmpegSource`. */
export interface FfmpegSourceOptions {
  readonly input: FfmpegInput;
  readonly output: FfmpegOutput;
  /** True for cameras and other inputs that run at their own pace. */
  readonly live: boolean;
  /** For people; defaults to the input's URL. */
  readonly description?: string;
  /** The ffmpeg to run; defaults to `resolveFfmpegPath()`. */
  readonly ffmpegPath?: string;
}

type FfmpegProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Milliseconds ffmpeg gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2_000;

export class FfmpegSource implements FrameSource {
  readonly description: string;
  readonly live: boolean;
  readonly #options: FfmpegSourceOptions;
  #fps: number | undefined;

  constructor(options: FfmpegSourceOptions) {
    this.#options = options;
    this.live = options.live;
    this.description = options.description ?? options.input.url;
  }

  get fps(): number | undefined {
    return this.#fps;
  }

  /** The command line this source runs, for `--verbose` and tests. */
  get args(): string[] {
    return ffmpegArgs(this.#options.input, this.#options.output);
  }

  async *frames(options: FramesOptions = {}): AsyncGenerator<Frame> {
    const { signal } = options;
    signal?.throwIfAborted();
    const command = this.#options.ffmpegPath ?? resolveFfmpegPath();
    const { input, output } = this.#options;
    // Its own process group: a Ctrl-C in the terminal reaches us, and we stop ffmpeg ourselves.
    const child: FfmpegProcess = spawn(command, this.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let info: FfmpegStreamInfo | undefined;
    let infoReady: () => void = () => undefined;
    const infoSeen = new Promise<void>((resolve) => (infoReady = resolve));
    const log = new FfmpegLog((seen) => {
      info = seen;
      this.#fps = seen.fps;
      infoReady();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => log.push(text));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, exitSignal) => resolve({ code, signal: exitSignal }));
    });
    // A read waiting on ffmpeg must end when the signal aborts: stopping ffmpeg ends its stdout.
    const stop = (): void => terminate(child);
    signal?.addEventListener('abort', stop, { once: true });
    let stopped = false;
    try {
      const jpeg = output.encoding === 'jpeg' ? new JpegSplitter() : undefined;
      let raw: Buffer[] = [];
      let rawBytes = 0;
      let index = 0;
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        // Frames carry their size, which ffmpeg tells on stderr before it writes the first one.
        if (info === undefined) await Promise.race([infoSeen, ended]);
        if (jpeg !== undefined) {
          for (const data of jpeg.push(chunk)) {
            yield { index, id: String(index), data, encoding: 'jpeg', width: info?.width ?? 0, height: info?.height ?? 0 };
            index++;
          }
          continue;
        }
        // Raw frames have no boundaries of their own: their size comes from ffmpeg's description.
        if (info === undefined) break;
        const frameBytes = info.width * info.height * 3;
        raw.push(chunk);
        rawBytes += chunk.length;
        while (rawBytes >= frameBytes) {
          const all = raw.length === 1 ? (raw[0] as Buffer) : Buffer.concat(raw, rawBytes);
          const data = Buffer.from(all.subarray(0, frameBytes));
          raw = rawBytes > frameBytes ? [all.subarray(frameBytes)] : [];
          rawBytes -= frameBytes;
          yield { index, id: String(index), data, encoding: 'raw', width: info.width, height: info.height };
          index++;
        }
      }
      signal?.throwIfAborted();
      const end = await ended;
      if (end.error !== undefined) {
        if (end.error.code === 'ENOENT' || end.error.code === 'EACCES') {
          throw new SourceError('FFMPEG_NOT_FOUND', `cannot run ffmpeg (${command}: ${end.error.code}); install it or set FFMPEG_PATH`);
        }
        throw new SourceError('FFMPEG_FAILED', `cannot run ffmpeg (${command}): ${end.error.message}`);
      }
      if (end.code !== 0) {
        const how = end.code === null ? `was killed by ${end.signal ?? 'a signal'}` : `exited with code ${end.code}`;
        throw new SourceError('FFMPEG_FAILED', `ffmpeg ${how} reading ${input.url}: ${log.tail() || 'no message'}`);
      }
      stopped = true;
    } finally {
      signal?.removeEventListener('abort', stop);
      if (!stopped) {
        terminate(child);
        await ended;
      }
    }
  }
}

/** SIGTERM now, SIGKILL if ffmpeg is still there after a grace period. */
function terminate(child: FfmpegProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  timer.unref();
  child.once('close', () => clearTimeout(timer));
}
