/**
 * How a prepared frame becomes a JetStream message for a binding (the contract is in
 * `server/ingest/ingest-headers.ts`): the encoded image as the body, its `Content-Type`, the frame
 * id in `Sluice-Id`, a run-unique `Nats-Msg-Id` so that a retried publish is stored once, and the
 * model when one is asked for. A body too large for the connection's `max_payload` goes to the
 * object store instead, and the message names the object.
 */
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { INGEST_HEADERS } from '../../../server/ingest/ingest-headers.js';
import type { Frame, FrameEncoding } from '../../sources/frame.js';

/** What every message of a run shares. */
export interface FrameMessageOptions {
  /** Prefix of `Nats-Msg-Id`s: `<prefix>-<frame id>`. */
  readonly idPrefix: string;
  /** `Sluice-Model`, when given. */
  readonly model?: string | undefined;
}

/** The headers of one frame's message, and its de-duplication id. */
export interface FrameMessage {
  /** `Nats-Msg-Id`; also the object's name when the body goes to the object store. */
  readonly msgId: string;
  /** The implementation rather than `MsgHdrs`: its wire size decides between body and object. */
  readonly headers: MsgHdrsImpl;
}

const CONTENT_TYPES: Partial<Record<FrameEncoding, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** The `Content-Type` of an encoded frame; raw pixels and unknown formats have none. */
export function contentTypeOf(encoding: FrameEncoding): string | undefined {
  return CONTENT_TYPES[encoding];
}

/** The headers for `frame`, which must be encoded (JPEG, PNG or WebP). */
export function frameMessage(frame: Pick<Frame, 'id' | 'encoding'>, options: FrameMessageOptions): FrameMessage {
  const contentType = contentTypeOf(frame.encoding);
  if (contentType === undefined) throw new TypeError(`frame ${frame.id} is ${frame.encoding}, not an encoded image`);
  const msgId = `${options.idPrefix}-${headerSafe(frame.id)}`;
  const h = new MsgHdrsImpl();
  h.set(INGEST_HEADERS.contentType, contentType);
  h.set(INGEST_HEADERS.id, headerSafe(frame.id));
  h.set(INGEST_HEADERS.msgId, msgId);
  if (options.model !== undefined && options.model !== '') h.set(INGEST_HEADERS.model, options.model);
  return { msgId, headers: h };
}

/**
 * True when a message of `bodyBytes` with `message`'s headers would pass the server's
 * `max_payload` (headers count towards it), so the body must travel in the object store.
 */
export function exceedsMaxPayload(bodyBytes: number, message: FrameMessage, maxPayload: number): boolean {
  return bodyBytes + message.headers.encode().length > maxPayload;
}

/** Header values are one line: file names with line breaks are flattened. */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}
