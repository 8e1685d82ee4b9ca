/**
 * Sends the files of an upload run, one binary message each, in order. It keeps at most two
 * windows of images sent and unanswered, and a few megabytes in the socket's buffer, so that a
 * folder of thousands of photos is read from disk as the server gets through it, not all at once.
 */
import type { BridgeConnection } from '../bridge-connection.js';

/** Buffered bytes above which sending waits. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** How often a waiting sender looks again at the socket's buffer. */
const POLL_MS = 25;

export class UploadSender {
  readonly #connection: BridgeConnection;
  readonly #files: readonly File[];
  readonly #ahead: number;
  readonly #stopped = new AbortController();
  #sent = 0;
  #answered = 0;
  #wake: (() => void) | undefined;

  /** `window` is the run's window; sending keeps twice as many images ahead of the answers. */
  constructor(connection: BridgeConnection, files: readonly File[], window: number) {
    this.#connection = connection;
    this.#files = files;
    this.#ahead = 2 * window;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Sends every file, as room allows; resolves when all are sent or `stop` was called. Rejects when a file cannot be read or the socket is gone. */
  async run(): Promise<void> {
    const signal = this.#stopped.signal;
    for (const file of this.#files) {
      while (!signal.aborted && (this.#sent - this.#answered >= this.#ahead || this.#connection.bufferedAmount > MAX_BUFFERED)) await this.#pause();
      if (signal.aborted) return;
      const bytes = await file.arrayBuffer();
      if (signal.aborted) return;
      if (!this.#connection.sendFrame(bytes)) throw new Error('the connection to the bridge closed while sending files');
      this.#sent++;
    }
  }

  /** An answer came back: room for one more. */
  answered(): void {
    this.#answered++;
    this.#wake?.();
  }

  stop(): void {
    this.#stopped.abort();
    this.#wake?.();
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      this.#wake = done;
    });
  }
}
