/**
 * Errors of frame sources, each with a stable `code`; the message is one line meant for people.
 */

export type SourceErrorCode =
  /** The source string names nothing that exists, or matches no image. */
  | 'SOURCE_NOT_FOUND'
  /** A file could not be read. */
  | 'SOURCE_UNREADABLE'
  /** The source string or one of its settings is malformed. */
  | 'INVALID_SOURCE'
  /** No ffmpeg binary could be started. */
  | 'FFMPEG_NOT_FOUND'
  /** ffmpeg exited with an error; the message ends with the tail of its stderr. */
  | 'FFMPEG_FAILED';

export class SourceError extends Error {
  readonly code: SourceErrorCode;

  constructor(code: SourceErrorCode, message: string) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
  }
}
