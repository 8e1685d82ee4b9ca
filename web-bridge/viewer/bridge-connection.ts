/**
 * The viewer's WebSocket to the bridge: JSON control messages out and in, frames out, results in
 * (decoded from their binary form). Reconnects after a second when the socket drops.
 */
import type { ClientMessage, ServerControlMessage } from '../protocol/messages.js';
import { type DecodedResult, decodeResultFrame } from '../protocol/result-frame.js';

export interface ConnectionHandlers {
  onOpen(): void;
  onClose(): void;
  onControl(message: ServerControlMessage): void;
  onResult(result: DecodedResult): void;
}

const RECONNECT_MS = 1000;

export class BridgeConnection {
  readonly #url: string;
  readonly #handlers: ConnectionHandlers;
  #socket: WebSocket | undefined;

  constructor(url: string, handlers: ConnectionHandlers) {
    this.#url = url;
    this.#handlers = handlers;
    this.#connect();
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Bytes queued by the browser and not yet sent. */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  send(message: ClientMessage): boolean {
    if (!this.open) return false;
    this.#socket?.send(JSON.stringify(message));
    return true;
  }

  sendFrame(bytes: ArrayBuffer): boolean {
    if (!this.open) return false;
    this.#socket?.send(bytes);
    return true;
  }

  #connect(): void {
    const socket = new WebSocket(this.#url);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    socket.addEventListener('open', () => this.#handlers.onOpen());
    socket.addEventListener('close', () => {
      this.#handlers.onClose();
      setTimeout(() => this.#connect(), RECONNECT_MS);
    });
    socket.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
      if (typeof event.data === 'string') {
        this.#handlers.onControl(JSON.parse(event.data) as ServerControlMessage);
      } else {
        this.#handlers.onResult(decodeResultFrame(new Uint8Array(event.data)));
      }
    });
  }
}
