/**
 * Where an evaluation's images come from, taken one at a time, in order, when its window has room:
 * files of a dataset, read from disk only then; or images the page uploads, held until then.
 * An image that cannot be had is an in-band error for its index, so that every index is answered.
 */
import { status } from '@grpc/grpc-js';
import type { Dataset } from '../datasets/dataset.js';
import { DatasetError } from '../datasets/dataset-error.js';

/** Image `index`'s bytes, or the error to answer it with. */
export type FeedItem =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly code: status; readonly message: string };

export interface EvaluateFeed {
  readonly total: number;
  /** Images received from the page (uploads) or read from disk so far. */
  readonly received: number;
  /** Images held and not yet taken (uploads only). */
  readonly waiting: number;
  /** Image `index`; called for 0, 1, 2... in turn, each once the previous one has resolved. */
  take(index: number): Promise<FeedItem>;
  /** Lets go of what is held; a pending `take` never resolves. Idempotent. */
  close(): void;
}

/** A dataset's files, read from disk when taken. */
export class DatasetFeed implements EvaluateFeed {
  readonly total: number;
  readonly waiting = 0;
  readonly #dataset: Dataset;
  readonly #paths: readonly string[];
  readonly #maxBytes: number;
  #received = 0;

  /** `paths` must be items of `dataset`; files over `maxBytes` are answered INVALID_ARGUMENT. */
  constructor(dataset: Dataset, paths: readonly string[], maxBytes: number) {
    this.#dataset = dataset;
    this.#paths = paths;
    this.#maxBytes = maxBytes;
    this.total = paths.length;
  }

  get received(): number {
    return this.#received;
  }

  async take(index: number): Promise<FeedItem> {
    this.#received++;
    try {
      return { ok: true, bytes: await this.#dataset.read(this.#paths[index] ?? '', this.#maxBytes) };
    } catch (err: unknown) {
      if (!(err instanceof DatasetError)) throw err;
      return { ok: false, code: err.code === 'ITEM_TOO_LARGE' ? status.INVALID_ARGUMENT : status.NOT_FOUND, message: err.message };
    }
  }

  close(): void {}
}

/** Pauses and resumes reading the socket the uploads come on. */
export interface UploadFlow {
  pause(): void;
  resume(): void;
}

/**
 * Images the page sends, held until taken. While more than `highWaterBytes` are held, the socket
 * is not read (TCP then holds the page back) and is read again once they are taken: a page that
 * sends a thousand photos at once cannot fill the bridge's memory. The page can pace itself
 * instead (a few images ahead of the results) so that a `stop` is read at once.
 */
export class UploadFeed implements EvaluateFeed {
  readonly total: number;
  readonly #maxBytes: number;
  readonly #highWaterBytes: number;
  readonly #flow: UploadFlow;
  readonly #held: FeedItem[] = [];
  #heldBytes = 0;
  #received = 0;
  #taken = 0;
  #paused = false;
  #closed = false;
  #waiter: ((item: FeedItem) => void) | undefined;

  constructor(total: number, maxBytes: number, highWaterBytes: number, flow: UploadFlow) {
    this.total = total;
    this.#maxBytes = maxBytes;
    this.#highWaterBytes = highWaterBytes;
    this.#flow = flow;
  }

  get received(): number {
    return this.#received;
  }

  get waiting(): number {
    return this.#received - this.#taken;
  }

  /** Whether the page still has images to send. */
  get wantsMore(): boolean {
    return !this.#closed && this.#received < this.total;
  }

  /** Images the page was to send and has not (yet). */
  get missing(): number {
    return this.total - this.#received;
  }

  /** Takes the next image the page sent; false, taking nothing, once all `total` came or the feed is closed. */
  push(frame: Uint8Array): boolean {
    if (!this.wantsMore) return false;
    const index = this.#received++;
    const item: FeedItem =
      frame.byteLength > this.#maxBytes
        ? { ok: false, code: status.INVALID_ARGUMENT, message: `image ${index} has ${frame.byteLength} bytes; the bridge forwards at most ${this.#maxBytes}` }
        : { ok: true, bytes: frame };
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#taken++;
      waiter(item);
      return true;
    }
    this.#held.push(item);
    this.#heldBytes += item.ok ? item.bytes.byteLength : 0;
    if (!this.#paused && this.#heldBytes > this.#highWaterBytes) {
      this.#paused = true;
      this.#flow.pause();
    }
    return true;
  }

  take(): Promise<FeedItem> {
    const item = this.#held.shift();
    if (item === undefined) return new Promise((resolve) => (this.#waiter = resolve));
    this.#taken++;
    this.#heldBytes -= item.ok ? item.bytes.byteLength : 0;
    if (this.#paused && this.#heldBytes <= this.#highWaterBytes / 2) this.#resume();
    return Promise.resolve(item);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held.length = 0;
    this.#heldBytes = 0;
    this.#waiter = undefined;
    this.#resume();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resume();
  }
}
