/**
 * Gets results onto the canvas in the right order at the right pace. A source's results are drawn
 * in the order they arrive although a segmentation mask takes a moment to decode; a watched
 * stream's results are drawn newest first, those arriving during a decode replacing one another.
 *
 * The server makes a watched item's picture only if someone watched when the item came in, so
 * the first results of a watch, already under way when it began, come without one. Those are not
 * drawn (boxes on black look broken); a stream whose items never carry a picture is drawn on a
 * dark background once that is clear.
 */
import type { ResultHeader } from '../protocol/messages.js';
import { decodeMask } from './decode-mask.js';
import type { ViewResult, ViewSegmentation } from './read-result.js';

/** What the drawer asks of the page. */
export interface DrawHandlers {
  /**
   * Draws `result` over `image` (width x height). `now` is when it arrived or was decoded;
   * `roundTripMs` is a source frame's, `serverMs` a watched item's server time.
   */
  show(result: ViewResult, image: CanvasImageSource, width: number, height: number, now: number, timing: { roundTripMs?: number; serverMs?: number }, mask: ImageBitmap | undefined): void;
  /** Says on the status line what could not be drawn. */
  problem(text: string): void;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Results without a picture, in a row at the start of a watch, after which they are drawn on a blank. */
const BLANK_AFTER = 10;
const BLANK_COLOR = '#222';

/** Draws one activity's results at a time; `reset` when the activity changes. */
export class ResultDrawer {
  readonly #handlers: DrawHandlers;
  #watchLatest: { header: ResultHeader; image: Uint8Array; result: ViewResult } | undefined;
  #decoding = false;
  /** Watched results drawn with their picture, and results without one seen meanwhile, since the watch began. */
  #pictures = 0;
  #withoutPicture = 0;
  /** Source results waiting for a mask to decode, theirs or an earlier one's, and the draws they wait on. */
  #queued = 0;
  #drawQueue: Promise<void> = Promise.resolve();

  constructor(handlers: DrawHandlers) {
    this.#handlers = handlers;
  }

  /** Forgets the watched result waiting to be drawn: the activity it belongs to is over. */
  reset(): void {
    this.#watchLatest = undefined;
    this.#pictures = 0;
    this.#withoutPicture = 0;
  }

  /**
   * Draws a source result over the frame it answers, in arrival order: a result with a mask, and
   * every result after it, waits its turn; masks decode side by side. `current` says whether the
   * activity is still the one the result belongs to when its turn comes; `release` frees the frame
   * once it is drawn or skipped.
   */
  source(result: ViewResult, frame: ImageBitmap, now: number, roundTripMs: number, current: () => boolean, release: () => void): void {
    const segmentation = result.prediction?.segmentation;
    const draw = (mask: ImageBitmap | undefined): void => this.#handlers.show(result, frame, frame.width, frame.height, now, { roundTripMs }, mask);
    if (this.#queued === 0 && (segmentation === undefined || segmentation.maskPng.length === 0)) {
      draw(undefined);
      release();
      return;
    }
    const decoded = this.#decodeMask(segmentation);
    this.#queued++;
    this.#drawQueue = this.#drawQueue.then(async () => {
      const mask = await decoded;
      try {
        if (current()) draw(mask);
      } catch (err: unknown) {
        this.#handlers.problem(`cannot draw a frame: ${message(err)}`);
      } finally {
        mask?.close();
        release();
        this.#queued--;
      }
    });
  }

  /** Draws a watched result, its display JPEG decoded, unless a newer one replaces it first. */
  watched(header: ResultHeader, image: Uint8Array, result: ViewResult): void {
    this.#watchLatest = { header, image, result };
    if (!this.#decoding) void this.#drawWatched();
  }

  /** The decoded mask, or undefined (and a status line) when the browser cannot decode it: the frame is drawn without. */
  async #decodeMask(segmentation: ViewSegmentation | undefined): Promise<ImageBitmap | undefined> {
    try {
      return await decodeMask(segmentation);
    } catch (err: unknown) {
      this.#handlers.problem(`cannot decode a segmentation mask: ${message(err)}`);
      return undefined;
    }
  }

  async #drawWatched(): Promise<void> {
    this.#decoding = true;
    try {
      for (let item = this.#watchLatest; item !== undefined; item = this.#watchLatest) {
        this.#watchLatest = undefined;
        const { header, image, result } = item;
        const timing = { serverMs: result.timings.totalUs / 1000 };
        const mask = await this.#decodeMask(result.prediction?.segmentation);
        try {
          if (header.hasImage) {
            const bitmap = await createImageBitmap(new Blob([image.slice()], { type: 'image/jpeg' }));
            this.#pictures++;
            this.#handlers.show(result, bitmap, bitmap.width, bitmap.height, performance.now(), timing, mask);
            bitmap.close();
          } else if (this.#pictures === 0 && ++this.#withoutPicture >= BLANK_AFTER) {
            // Opaque, so that the boxes of one result do not pile up on those of the last.
            const blank = new OffscreenCanvas(result.prediction?.imageWidth || 640, result.prediction?.imageHeight || 360);
            const ctx = blank.getContext('2d');
            if (ctx !== null) {
              ctx.fillStyle = BLANK_COLOR;
              ctx.fillRect(0, 0, blank.width, blank.height);
            }
            this.#handlers.show(result, blank, blank.width, blank.height, performance.now(), timing, mask);
          }
        } finally {
          mask?.close();
        }
      }
    } catch (err: unknown) {
      this.#handlers.problem(`cannot draw a watched frame: ${message(err)}`);
    } finally {
      this.#decoding = false;
    }
  }
}
