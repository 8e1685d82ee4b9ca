/**
 * Splits a byte stream of concatenated JPEG files (ffmpeg's `-f image2pipe -c:v mjpeg`) into one
 * buffer per image. It follows the JPEG marker structure rather than searching for the end-of-image
 * marker, so an embedded thumbnail or a 0xFFD9 inside a segment never ends a frame early: segments
 * are skipped by their length, and only entropy-coded data is scanned (where 0xFF is always
 * stuffed as 0xFF00 or starts a restart marker).
 */

type State =
  /** Before a frame: looking for SOI (FF D8), skipping anything else. */
  | 'soi-ff'
  | 'soi-d8'
  /** Between segments: a marker's FF (fill FFs allowed), then its code. */
  | 'marker-ff'
  | 'marker-code'
  /** A segment's two length bytes (the length counts themselves). */
  | 'length-hi'
  | 'length-lo'
  /** Inside a segment's payload. */
  | 'skip'
  /** Entropy-coded data after SOS, and just after an FF seen there. */
  | 'entropy'
  | 'entropy-ff';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

export class JpegSplitter {
  #state: State = 'soi-ff';
  /** Pieces of the frame being read. */
  #parts: Buffer[] = [];
  #marker = 0;
  #lengthHi = 0;
  #remaining = 0;

  /** Bytes held for an unfinished frame. */
  get pending(): number {
    return this.#parts.reduce((sum, part) => sum + part.length, 0);
  }

  /** Feeds a chunk and returns the images it completes, in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let start = this.#state === 'soi-ff' || this.#state === 'soi-d8' ? -1 : 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case 'soi-ff': {
          const at = chunk.indexOf(0xff, i);
          if (at === -1) {
            i = n;
            break;
          }
          i = at + 1;
          start = at;
          this.#state = 'soi-d8';
          break;
        }
        case 'soi-d8':
          if (chunk[i] === SOI) {
            this.#state = 'marker-ff';
            // An FF that ended the previous chunk belongs to this frame.
            if (start === -1) {
              this.#parts = [Buffer.from([0xff])];
              start = i;
            }
            i++;
          } else {
            this.#parts = [];
            start = -1;
            this.#state = chunk[i] === 0xff ? 'soi-d8' : 'soi-ff';
            if (chunk[i] === 0xff) start = i;
            i++;
          }
          break;
        case 'marker-ff':
          if (chunk[i] !== 0xff) throw new Error(`malformed JPEG stream: expected a marker, got byte 0x${(chunk[i] ?? 0).toString(16)}`);
          this.#state = 'marker-code';
          i++;
          break;
        case 'marker-code': {
          const code = chunk[i] as number;
          i++;
          if (code === 0xff) break; // fill byte
          this.#onMarker(code);
          if (code === EOI) {
            frames.push(this.#finish(chunk, start, i));
            start = -1;
          }
          break;
        }
        case 'length-hi':
          this.#lengthHi = chunk[i] as number;
          this.#state = 'length-lo';
          i++;
          break;
        case 'length-lo': {
          const length = (this.#lengthHi << 8) | (chunk[i] as number);
          i++;
          if (length < 2) throw new Error(`malformed JPEG stream: segment length ${length}`);
          this.#remaining = length - 2;
          this.#state = this.#remaining > 0 ? 'skip' : this.#afterSegment();
          break;
        }
        case 'skip': {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = this.#afterSegment();
          break;
        }
        case 'entropy': {
          const at = chunk.indexOf(0xff, i);
          if (at === -1) {
            i = n;
            break;
          }
          i = at + 1;
          this.#state = 'entropy-ff';
          break;
        }
        case 'entropy-ff': {
          const code = chunk[i] as number;
          i++;
          if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) this.#state = 'entropy';
          else if (code === 0xff) this.#state = 'entropy-ff';
          else {
            this.#onMarker(code);
            if (code === EOI) {
              frames.push(this.#finish(chunk, start, i));
              start = -1;
            }
          }
          break;
        }
      }
    }
    if (start !== -1 && start < n) this.#parts.push(chunk.subarray(start));
    return frames;
  }

  #onMarker(code: number): void {
    this.#marker = code;
    if (code === EOI) {
      this.#state = 'soi-ff';
    } else if (code === SOI || (code >= 0xd0 && code <= 0xd7) || code === 0x01) {
      this.#state = 'marker-ff';
    } else {
      this.#state = 'length-hi';
    }
  }

  #afterSegment(): State {
    return this.#marker === SOS ? 'entropy' : 'marker-ff';
  }

  #finish(chunk: Buffer, start: number, end: number): Buffer {
    this.#parts.push(chunk.subarray(Math.max(start, 0), end));
    const parts = this.#parts;
    this.#parts = [];
    return parts.length === 1 ? Buffer.from(parts[0] as Buffer) : Buffer.concat(parts);
  }
}
