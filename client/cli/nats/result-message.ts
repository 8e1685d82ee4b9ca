/**
 * Reads a result message of a binding: a `sluice.v1.PredictResponse` as JSON or protobuf, told
 * apart by its `Content-Type` (see `server/ingest/ingest-headers.ts`). A message without one is
 * read as JSON when it looks like JSON, as protobuf otherwise.
 */
import { PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';

/** A decoded result, or why it could not be decoded. */
export type DecodedResult = { readonly ok: true; readonly response: PredictResponse } | { readonly ok: false; readonly reason: string };

/** Decodes `data` by `contentType` (undefined or '' when the message has none). */
export function decodeResult(data: Uint8Array, contentType: string | undefined): DecodedResult {
  const type = (contentType ?? '').trim().toLowerCase();
  const kind = type === '' ? (looksLikeJson(data) ? 'json' : 'protobuf') : kindOf(type);
  if (kind === undefined) return { ok: false, reason: `Content-Type ${JSON.stringify(contentType)} is not a PredictResponse` };
  try {
    if (kind === 'json') {
      const value: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'the JSON body is not an object' };
      return { ok: true, response: PredictResponse.fromJSON(value) };
    }
    return { ok: true, response: PredictResponse.decode(data) };
  } catch (err: unknown) {
    return { ok: false, reason: `cannot decode the ${kind} body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function kindOf(type: string): 'json' | 'protobuf' | undefined {
  if (type.startsWith('application/json')) return 'json';
  if (type.startsWith('application/x-protobuf') || type.startsWith('application/protobuf')) {
    const messageType = /messagetype=([\w.]+)/.exec(type)?.[1];
    return messageType === undefined || messageType === 'sluice.v1.predictresponse' ? 'protobuf' : undefined;
  }
  return undefined;
}

function looksLikeJson(data: Uint8Array): boolean {
  for (const byte of data) {
    // Leading whitespace, then an object.
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}
