/**
 * How `Watch` events are written: each one is encoded once, however many watchers follow the
 * stream, and the encoded bytes go to every watcher as they are.
 */
import { WatchResponse } from '../../gen/ts/sluice/v1/inference_service.js';

/** A `WatchResponse` already encoded for the wire. */
export type EncodedWatchEvent = Buffer & { readonly __watchEvent: true };

/** Encodes an event once, for every watcher. */
export function encodeWatchEvent(event: WatchResponse): EncodedWatchEvent {
  const bytes = WatchResponse.encode(event).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as EncodedWatchEvent;
}

/** The `Watch` response serializer: encoded events pass through. */
export function serializeWatchEvent(event: EncodedWatchEvent): Buffer {
  return event;
}
