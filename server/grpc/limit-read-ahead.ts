/**
 * Makes a grpc-js server stream read one message at a time.
 *
 * grpc-js builds its server streams as object-mode Readables with the default high-water mark of
 * 16 messages, so a paused stream keeps decoding messages into its buffer until it holds 16. With
 * 64 MiB frames that is a gigabyte the byte budget cannot see. With a high-water mark of 0 a
 * paused stream asks for nothing more: the next message is read when the session resumes.
 */
import type { Readable } from 'node:stream';

interface ReadableInternals {
  readonly _readableState?: { highWaterMark: number };
}

/** Stops `stream` from reading ahead of its consumer. */
export function limitReadAhead(stream: Readable): void {
  const state = (stream as unknown as ReadableInternals)._readableState;
  if (state !== undefined) state.highWaterMark = 0;
}
