/**
 * Captures a `FrameSource` at a target rate, encodes each frame as JPEG and sends it to the
 * bridge, keeping at most `window + 1` frames unanswered: one more than the window the bridge
 * keeps to, so that a fresh frame is always waiting in the bridge when a slot frees (the bridge
 * holds only the freshest and answers the one it replaces `dropped`). Keeps each sent picture
 * until its result comes back, to draw the overlays on the frame they belong to.
 */
import type { BridgeConnection } from './bridge-connection.js';
import type { FrameSource } from './frame-source.js';

/** A frame sent and not yet answered. */
export interface SentFrame {
  readonly bitmap: ImageBitmap;
  readonly sentAt: number;
}

export interface StreamerOptions {
  readonly fps: number;
  readonly window: number;
  /** Frames wider than this are scaled down before encoding (default 640). */
  readonly maxWidth?: number;
  /** JPEG quality from 0 to 1 (default 0.8). */
  readonly quality?: number;
}

/** A frame unanswered for this long is given up (its result was dropped on the way). */
const GIVE_UP_MS = 5000;
/** The socket's own queue beyond which no frame is captured. */
const MAX_BUFFERED_BYTES = 1 << 20;

export class SourceStreamer {
  readonly #connection: BridgeConnection;
  readonly #source: FrameSource;
  readonly #options: StreamerOptions;
  readonly #canvas = document.createElement('canvas');
  readonly #pending = new Map<number, SentFrame>();
  #next = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(connection: BridgeConnection, source: FrameSource, options: StreamerOptions) {
    this.#connection = connection;
    this.#source = source;
    this.#options = options;
  }

  /** Frames sent so far; frame n was sent with id n. */
  get framesSent(): number {
    return this.#next;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#tick(), 1000 / this.#options.fps);
  }

  /** Stops capturing; frames already sent can still be taken. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops and releases every kept picture. */
  close(): void {
    this.stop();
    for (const frame of this.#pending.values()) frame.bitmap.close();
    this.#pending.clear();
  }

  /**
   * The frame answered by result `id` (the caller closes its bitmap). Results come in frame
   * order, so frames before it will get no result of their own that still matters: forgotten.
   */
  take(id: number): SentFrame | undefined {
    for (const [key, frame] of this.#pending) {
      if (key >= id) break;
      frame.bitmap.close();
      this.#pending.delete(key);
    }
    const frame = this.#pending.get(id);
    this.#pending.delete(id);
    return frame;
  }

  async #tick(): Promise<void> {
    const now = performance.now();
    for (const [key, frame] of this.#pending) {
      if (now - frame.sentAt < GIVE_UP_MS) break;
      frame.bitmap.close();
      this.#pending.delete(key);
    }
    if (this.#busy || this.#pending.size > this.#options.window || this.#connection.bufferedAmount > MAX_BUFFERED_BYTES) return;
    const { width: naturalWidth, height: naturalHeight } = this.#source.size();
    if (naturalWidth === 0 || naturalHeight === 0) return;
    const width = Math.min(naturalWidth, this.#options.maxWidth ?? 640);
    const height = Math.round((naturalHeight * width) / naturalWidth);
    this.#busy = true;
    try {
      if (this.#canvas.width !== width || this.#canvas.height !== height) {
        this.#canvas.width = width;
        this.#canvas.height = height;
      }
      const ctx = this.#canvas.getContext('2d');
      if (ctx === null) return;
      this.#source.draw(ctx, width, height, now);
      const bitmap = await createImageBitmap(this.#canvas);
      const blob = await new Promise<Blob | null>((resolve) => this.#canvas.toBlob(resolve, 'image/jpeg', this.#options.quality ?? 0.8));
      if (blob === null || this.#timer === undefined) {
        bitmap.close();
        return;
      }
      const bytes = await blob.arrayBuffer();
      if (this.#timer === undefined || !this.#connection.sendFrame(bytes)) {
        bitmap.close();
        return;
      }
      this.#pending.set(this.#next++, { bitmap, sentAt: now });
    } finally {
      this.#busy = false;
    }
  }
}
