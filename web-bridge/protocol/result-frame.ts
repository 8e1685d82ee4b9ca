/**
 * A result as one binary WebSocket message: a 4-byte big-endian length N, N bytes of UTF-8 JSON
 * (`ResultHeader`), then the display JPEG (nothing when `hasImage` is false). One message per
 * result, so a result is delivered or dropped whole.
 */
import type { ResultHeader } from './messages.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Packs a header and an optional image into one message. */
export function encodeResultFrame(header: ResultHeader, image?: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const imageBytes = image?.byteLength ?? 0;
  const out = new Uint8Array(4 + json.byteLength + imageBytes);
  new DataView(out.buffer).setUint32(0, json.byteLength, false);
  out.set(json, 4);
  if (image !== undefined) out.set(image, 4 + json.byteLength);
  return out;
}

/** A decoded result: the header and a view of the image bytes (empty when there is none). */
export interface DecodedResult {
  readonly header: ResultHeader;
  readonly image: Uint8Array;
}

/** Unpacks a message made by `encodeResultFrame`; throws on a truncated or malformed one. */
export function decodeResultFrame(bytes: Uint8Array): DecodedResult {
  if (bytes.byteLength < 4) throw new Error(`result message of ${bytes.byteLength} bytes is shorter than its length prefix`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, false);
  if (4 + length > bytes.byteLength) throw new Error(`result header of ${length} bytes overruns a message of ${bytes.byteLength}`);
  const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length))) as ResultHeader;
  if (header.type !== 'result') throw new Error(`binary message of type ${String(header.type)} is not a result`);
  return { header, image: bytes.subarray(4 + length) };
}
