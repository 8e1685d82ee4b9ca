/**
 * Everything the bridge sends on one socket goes through here, so that the socket's send buffer
 * stays bounded: results are dropped (and counted) while the client is not keeping up; control
 * messages are always sent, and a client that lets them pile up is disconnected.
 */
import type { WebSocket } from 'ws';
import type { ResultHeader, ServerControlMessage } from '../protocol/messages.js';
import { encodeResultFrame } from '../protocol/result-frame.js';

/** How far past `maxBufferedBytes` control messages may go before the socket is closed. */
const HARD_LIMIT_FACTOR = 8;

/** Close code for a client that does not read what it asked for (RFC 6455: try again later). */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** The part of a `ws` socket the sender uses. */
export type SenderSocket = Pick<WebSocket, 'readyState' | 'bufferedAmount' | 'send' | 'close'>;

export class SocketSender {
  readonly #socket: SenderSocket;
  readonly #maxBufferedBytes: number;

  constructor(socket: SenderSocket, maxBufferedBytes: number) {
    this.#socket = socket;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  #open(): boolean {
    return this.#socket.readyState === 1; // WebSocket.OPEN
  }

  /** Sends a control message as JSON text, unless the socket is closed or hopelessly behind. */
  control(message: ServerControlMessage): void {
    if (!this.#open()) return;
    if (this.#socket.bufferedAmount > this.#maxBufferedBytes * HARD_LIMIT_FACTOR) {
      this.#socket.close(CLOSE_TRY_AGAIN_LATER, 'client is not reading');
      return;
    }
    this.#socket.send(JSON.stringify(message));
  }

  /**
   * Sends a result as one binary message, or drops it when the socket already holds more than
   * the limit. Returns false when dropped.
   */
  result(header: ResultHeader, image?: Uint8Array): boolean {
    if (!this.#open() || this.#socket.bufferedAmount > this.#maxBufferedBytes) return false;
    this.#socket.send(encodeResultFrame(header, image));
    return true;
  }
}
