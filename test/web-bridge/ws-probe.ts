/**
 * A test's end of a bridge WebSocket: every message the bridge sends, decoded and queued, so a
 * test can await them one by one.
 */
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import type { ResultHeader, ServerControlMessage } from '../../web-bridge/index.js';
import { decodeResultFrame } from '../../web-bridge/index.js';

export type Incoming =
  | { readonly kind: 'control'; readonly message: ServerControlMessage }
  | { readonly kind: 'result'; readonly header: ResultHeader; readonly image: Uint8Array }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string };

export class WsProbe {
  readonly ws: WebSocket;
  readonly #queue: Incoming[] = [];
  #wake: (() => void) | undefined;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const { header, image } = decodeResultFrame(new Uint8Array(data));
        this.#push({ kind: 'result', header, image });
      } else {
        this.#push({ kind: 'control', message: JSON.parse(data.toString('utf8')) as ServerControlMessage });
      }
    });
    ws.on('close', (code: number, reason: Buffer) => this.#push({ kind: 'closed', code, reason: reason.toString('utf8') }));
  }

  #push(item: Incoming): void {
    this.#queue.push(item);
    this.#wake?.();
  }

  /** The next message, waiting up to `timeoutMs`. */
  async next(timeoutMs = 15_000): Promise<Incoming> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message from the bridge within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#queue.shift() as Incoming;
  }

  /** The next message, which must be a control message of `type`. */
  async control<T extends ServerControlMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ServerControlMessage, { type: T }>> {
    const item = await this.next(timeoutMs);
    assert.equal(item.kind, 'control', `expected a ${type} message, got ${JSON.stringify(item)}`);
    const message = (item as Extract<Incoming, { kind: 'control' }>).message;
    assert.equal(message.type, type, `expected a ${type} message, got ${JSON.stringify(message)}`);
    return message as Extract<ServerControlMessage, { type: T }>;
  }

  /** Waits for an error message and returns it (other messages in between fail the test). */
  async error(code: string): Promise<Extract<ServerControlMessage, { type: 'error' }>> {
    const message = await this.control('error');
    assert.equal(message.code, code, `expected error ${code}, got ${JSON.stringify(message)}`);
    return message;
  }

  /** Messages until `until` accepts one (included), failing on a close. */
  async collect(until: (item: Incoming) => boolean, timeoutMs = 30_000): Promise<Incoming[]> {
    const deadline = Date.now() + timeoutMs;
    const items: Incoming[] = [];
    for (;;) {
      const item = await this.next(Math.max(1, deadline - Date.now()));
      items.push(item);
      if (until(item)) return items;
      if (item.kind === 'closed') throw new Error(`socket closed (${item.code}) while collecting`);
    }
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  sendFrame(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }
}
