/**
 * A stream's answers on their way to gRPC: put in request order (by sequence) or left in
 * completion order, and written while gRPC takes writes. When `write()` says gRPC's buffer is
 * full, answers wait here until 'drain'; the stream's window bounds how many can.
 */
export class Outbox<T> {
  readonly #write: (answer: T) => boolean;
  /** Answers that arrived before an earlier one, by sequence (request order only). */
  readonly #early = new Map<number, T>();
  readonly #due: T[] = [];
  #nextSequence = 0;
  #writable = true;
  #closed = false;
  #stalls = 0;
  /** Write each answer in the order answers complete rather than in request order. */
  completionOrder = false;

  /** `write` hands one answer to gRPC and returns whether gRPC takes more now. */
  constructor(write: (answer: T) => boolean) {
    this.#write = write;
  }

  /** Times gRPC's write buffer was full. */
  get stalls(): number {
    return this.#stalls;
  }

  /** Adds the answer to item `sequence` and writes what is due. */
  add(sequence: number, answer: T): void {
    if (this.#closed) return;
    if (this.completionOrder) this.#due.push(answer);
    else {
      this.#early.set(sequence, answer);
      for (let next = this.#early.get(this.#nextSequence); next !== undefined; next = this.#early.get(this.#nextSequence)) {
        this.#early.delete(this.#nextSequence++);
        this.#due.push(next);
      }
    }
    this.flush();
  }

  /** gRPC drained its buffer: writes what waits. */
  drained(): void {
    this.#writable = true;
    this.flush();
  }

  /** Writes due answers while gRPC takes them. */
  flush(): void {
    let written = 0;
    while (this.#writable && written < this.#due.length && !this.#closed) {
      this.#writable = this.#write(this.#due[written++] as T);
      if (!this.#writable) this.#stalls++;
    }
    if (written > 0) this.#due.splice(0, written);
  }

  /** Drops everything; nothing more is written. */
  close(): void {
    this.#closed = true;
    this.#early.clear();
    this.#due.length = 0;
  }
}
