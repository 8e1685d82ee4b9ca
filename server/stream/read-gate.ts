/**
 * When a stream is read. A stream reads while its own limits allow it (the session decides those)
 * and while it holds a reservation in the server's byte budget for its next message, sized like
 * its last one; without room it pauses and waits in the budget's line. The gate owns the pause and
 * resume of the call and the reservation, so that a stream never reads what it has not counted.
 */
import type { ByteBudget } from '../admission/byte-budget.js';

/** What the gate pauses and resumes: the gRPC call's reading side. */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

/** Reservation for a stream's first message, whose size is not known yet. */
const FIRST_MESSAGE_BYTES = 64 * 1024;

export class ReadGate {
  readonly #call: Pausable;
  readonly #budget: ByteBudget;
  readonly #onRoom: () => void;
  #paused = false;
  #closed = false;
  /** Budget reserved for the next message, while the stream reads. */
  #reserved = 0;
  #nextMessageBytes = FIRST_MESSAGE_BYTES;
  #stopWaiting: (() => void) | undefined;

  /** `onRoom` runs when the budget made room for a stream that waited: the owner decides again. */
  constructor(call: Pausable, budget: ByteBudget, onRoom: () => void) {
    this.#call = call;
    this.#budget = budget;
    this.#onRoom = onRoom;
  }

  /** The expected size of the next message (the last one's). */
  get nextMessageBytes(): number {
    return this.#nextMessageBytes;
  }

  /** A message of `bytes` was read: it is now held, and its reservation is settled. */
  received(bytes: number): void {
    this.#budget.take(bytes);
    this.#budget.release(this.#reserved);
    this.#reserved = 0;
    this.#nextMessageBytes = Math.max(bytes, 1);
  }

  /** Reads on when `allowed` (the stream's own limits) and the budget has room; pauses otherwise. */
  update(allowed: boolean): void {
    if (this.#closed) return;
    if (!allowed) {
      this.#hold();
      return;
    }
    if (this.#reserved === 0 && this.#stopWaiting === undefined) {
      const bytes = this.#nextMessageBytes;
      if (this.#budget.tryReserve(bytes)) this.#reserved = bytes;
      else {
        this.#stopWaiting = this.#budget.reserveWhenRoom(bytes, () => {
          this.#stopWaiting = undefined;
          this.#reserved = bytes;
          if (this.#closed) this.#giveBack();
          else this.#onRoom();
        });
      }
    }
    this.#setPaused(this.#reserved === 0);
  }

  /**
   * Stops reading for good: the call is paused (unless its reading side is over) and the
   * reservation given back. Idempotent.
   */
  close(readEnded: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!readEnded) this.#setPaused(true);
    this.#stopWaiting?.();
    this.#stopWaiting = undefined;
    this.#giveBack();
  }

  /** Pauses and lets go of the budget until the next `update` allows reading. */
  #hold(): void {
    this.#setPaused(true);
    this.#stopWaiting?.();
    this.#stopWaiting = undefined;
    this.#giveBack();
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) this.#call.pause();
    else this.#call.resume();
  }

  #giveBack(): void {
    const reserved = this.#reserved;
    this.#reserved = 0;
    this.#budget.release(reserved);
  }
}
