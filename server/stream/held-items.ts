/**
 * What a stream holds between reading an item and answering it. Every item's bytes count against
 * the stream's share and the server's byte budget until its answer gives them back. Items handed
 * to the scheduler are kept too, oldest first, so that DROP_OLDEST can push out the oldest ones
 * that have not started, and a closing stream can cancel whatever is left.
 */
import type { ByteBudget } from '../admission/byte-budget.js';
import { SluiceError } from '../errors.js';
import type { ScheduledItem } from '../scheduler/work-item.js';

/** An item handed to the scheduler and not yet answered. */
export interface Scheduled {
  readonly item: ScheduledItem;
  readonly id: string;
  readonly model: string;
  readonly bytes: number;
  /** What the response encoder needs from the request (`ReceivedPredict.reply`). */
  readonly reply: object | undefined;
}

/** The items and bytes one stream holds; the stream session owns one. */
export class HeldItems {
  readonly #budget: ByteBudget;
  readonly #maxBytes: number;
  readonly #onDropped: (sequence: number, entry: Scheduled) => void;
  /** Items handed to the scheduler and not yet answered; a Map keeps them oldest first. */
  readonly #scheduled = new Map<number, Scheduled>();
  /** Bytes of the stream's items read and not yet answered, scheduled or not. */
  #bytes = 0;

  /**
   * `maxBytes` is the stream's share of bytes. `onDropped` answers an item that `makeRoom` pushed
   * out; it is given once, so that making room allocates nothing per item.
   */
  constructor(budget: ByteBudget, maxBytes: number, onDropped: (sequence: number, entry: Scheduled) => void) {
    this.#budget = budget;
    this.#maxBytes = maxBytes;
    this.#onDropped = onDropped;
  }

  /** Items handed to the scheduler and not yet answered. */
  get scheduled(): number {
    return this.#scheduled.size;
  }

  /** A message of `bytes` was read: the stream holds its bytes until it is answered. */
  hold(bytes: number): void {
    this.#bytes += bytes;
  }

  /** An item was answered: its bytes go back to the server's budget. */
  release(bytes: number): void {
    this.#bytes -= bytes;
    this.#budget.release(bytes);
  }

  /**
   * Whether holding `extra` more bytes would pass the stream's share. A stream that holds nothing
   * may always take one item, however large, or a large item could never be read.
   */
  overShare(extra: number): boolean {
    return this.#bytes > 0 && this.#bytes + extra > this.#maxBytes;
  }

  /** Keeps item `sequence`, handed to the scheduler, until it is answered. */
  add(sequence: number, entry: Scheduled): void {
    this.#scheduled.set(sequence, entry);
  }

  /**
   * Takes item `sequence` off the table for its answer and gives its bytes back; false when it
   * has had its answer already.
   */
  settle(sequence: number, entry: Scheduled): boolean {
    // A dropped item was answered when it was dropped; a closed stream answers nobody.
    if (this.#scheduled.get(sequence) !== entry) return false;
    this.#scheduled.delete(sequence);
    this.release(entry.bytes);
    return true;
  }

  /**
   * DROP_OLDEST: pushes out the oldest items that have not started until a new item of `bytes`
   * (already held) fits `window` and the stream's share of bytes, or nothing more can be pushed out.
   */
  makeRoom(bytes: number, window: number): void {
    if (!this.#over(bytes, window)) return;
    for (const [sequence, entry] of this.#scheduled) {
      if (!entry.item.withdraw(new SluiceError('DROPPED', 'dropped for a fresher item'))) continue;
      this.#scheduled.delete(sequence);
      this.release(entry.bytes);
      this.#onDropped(sequence, entry);
      if (!this.#over(bytes, window)) return;
    }
  }

  /**
   * The stream closed: items still waiting are withdrawn and never run; running ones finish and
   * are discarded. Nobody gets their answers, so `onCancelled` counts each. Every byte goes back.
   */
  cancelAll(onCancelled: (model: string) => void): void {
    for (const { item, model } of this.#scheduled.values()) {
      item.cancel();
      onCancelled(model);
    }
    this.#budget.release(this.#bytes);
    this.#bytes = 0;
    this.#scheduled.clear();
  }

  /** Whether a new item of `bytes` does not fit yet: the window is full or the share is passed by the others. */
  #over(bytes: number, window: number): boolean {
    return this.#scheduled.size >= window || (this.#bytes > bytes && this.#bytes > this.#maxBytes);
  }
}
