/**
 * The message over the frame area (see `emptyStateFor` for what it says when): built from DOM
 * nodes, with a button when it offers a published stream to watch.
 */
import type { EmptyStateMessage } from './empty-state-message.js';

/** The overlay over the frame: shows a message, or hides when there is none. */
export class EmptyState {
  readonly #element: HTMLElement;
  readonly #onWatch: (session: string) => void;
  /** The message on show, as JSON, to rebuild the overlay only when it changes. */
  #key = '';
  #title = '';

  constructor(element: HTMLElement, onWatch: (session: string) => void) {
    this.#element = element;
    this.#onWatch = onWatch;
  }

  /** The title on show; '' when hidden. */
  get title(): string {
    return this.#element.hidden ? '' : this.#title;
  }

  show(message: EmptyStateMessage | undefined): void {
    this.#element.hidden = message === undefined;
    if (message === undefined) return;
    // Rebuilt only when it changes: a button under the pointer would otherwise flicker.
    const key = JSON.stringify(message);
    if (key === this.#key) return;
    this.#key = key;
    this.#title = message.title;
    const title = document.createElement('strong');
    title.textContent = message.title;
    const children: HTMLElement[] = [title];
    for (const parts of message.lines) {
      const p = document.createElement('p');
      // textContent throughout: session names come from the address and must not become markup.
      for (const part of parts) {
        if (typeof part === 'string') p.append(part);
        else {
          const code = document.createElement('code');
          code.textContent = part.code;
          p.append(code);
        }
      }
      children.push(p);
    }
    const offer = message.offer;
    if (offer !== undefined) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Watch ${offer}`;
      button.addEventListener('click', () => this.#onWatch(offer));
      children.push(button);
    }
    this.#element.replaceChildren(...children);
  }
}
