/**
 * Reads ffmpeg's stderr as it comes: the input's frame rate, the output's frame size, and the last
 * lines, which explain a failure.
 */

/** What the stream description on stderr tells. */
export interface FfmpegStreamInfo {
  /** Frame rate of the input video (its `fps`, else its `tbr`). */
  readonly fps: number | undefined;
  /** Size of the frames written to stdout. */
  readonly width: number;
  readonly height: number;
}

const TAIL_LINES = 2;
/** Warnings ffmpeg prints on success too. */
const NOISE = /deprecated pixel format|^video:\d|^frame=/;

export class FfmpegLog {
  #partial = '';
  #section: 'none' | 'input' | 'output' = 'none';
  #inputFps: number | undefined;
  #info: FfmpegStreamInfo | undefined;
  readonly #tail: string[] = [];
  readonly #onInfo: (info: FfmpegStreamInfo) => void;

  constructor(onInfo: (info: FfmpegStreamInfo) => void) {
    this.#onInfo = onInfo;
  }

  /** The output stream's description, once seen. */
  get info(): FfmpegStreamInfo | undefined {
    return this.#info;
  }

  /** The input's frame rate, once seen. */
  get inputFps(): number | undefined {
    return this.#inputFps;
  }

  push(text: string): void {
    const lines = (this.#partial + text).split(/\r?\n|\r/);
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  /** The last meaningful lines, joined into one, for an error message. */
  tail(): string {
    if (this.#partial.trim() !== '') {
      this.#line(this.#partial);
      this.#partial = '';
    }
    return this.#tail.join(' | ');
  }

  #line(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (line.startsWith('Input #')) this.#section = 'input';
    else if (line.startsWith('Output #')) this.#section = 'output';
    else if (line.startsWith('Stream mapping:')) this.#section = 'none';
    const video = /Stream #\d+:\d+.*?: Video: (.*)$/.exec(line);
    if (video !== null) this.#video(video[1] as string);
    // The description of the streams is not what explains a failure.
    if (!/^\s/.test(line) && !/^(Input #|Output #|Stream mapping)/.test(line) && !NOISE.test(line)) {
      // "[mov,mp4 @ 0x2d8e5c0] moov atom not found" -> "mov,mp4: moov atom not found"
      this.#tail.push(trimmed.replace(/^\[(.+?) @ 0x[0-9a-f]+\] /, '$1: '));
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    }
  }

  #video(description: string): void {
    if (this.#section === 'input' && this.#inputFps === undefined) {
      const fps = /([\d.]+)(k?) fps/.exec(description) ?? /([\d.]+)(k?) tbr/.exec(description);
      if (fps !== null) {
        const value = Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1);
        if (Number.isFinite(value) && value > 0) this.#inputFps = value;
      }
    }
    if (this.#section === 'output' && this.#info === undefined) {
      const size = /, (\d+)x(\d+)[\s,[]/.exec(`${description} `);
      if (size !== null) {
        this.#info = { fps: this.#inputFps, width: Number(size[1]), height: Number(size[2]) };
        this.#onInfo(this.#info);
      }
    }
  }
}
