/**
 * One line on a terminal, redrawn a few times a second, that never scrolls: `\r`, the text, and an
 * erase to the end of the line. Only for TTYs; the caller decides.
 */

export class StatusLine {
  readonly #out: NodeJS.WriteStream;
  readonly #render: () => string;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream, render: () => string) {
    this.#out = out;
    this.#render = render;
  }

  start(intervalMs = 250): void {
    if (this.#timer !== undefined) return;
    this.draw();
    this.#timer = setInterval(() => this.draw(), intervalMs);
    this.#timer.unref();
  }

  draw(): void {
    const columns = this.#out.columns > 0 ? this.#out.columns : 120;
    this.#out.write(`\r${this.#render().slice(0, columns - 1)}\x1b[K`);
  }

  /** Erases the line, so that what follows starts on a clean one. Idempotent. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#out.write('\r\x1b[K');
  }
}
