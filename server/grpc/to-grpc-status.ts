/**
 * The one place where errors become gRPC statuses. Known errors keep their message; anything else
 * becomes INTERNAL with a generic message, and its details go to the log only.
 */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SluiceError, type SluiceErrorCode } from '../errors.js';

const STATUS_OF: Readonly<Record<SluiceErrorCode, status>> = {
  MODEL_NOT_FOUND: status.NOT_FOUND,
  SESSION_NOT_FOUND: status.NOT_FOUND,
  INVALID_INPUT: status.INVALID_ARGUMENT,
  INVALID_IMAGE: status.INVALID_ARGUMENT,
  IMAGE_TOO_LARGE: status.INVALID_ARGUMENT,
  QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  LIMIT_EXCEEDED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  // Streams answer dropped items with `dropped`, not an error; this is for completeness only.
  DROPPED: status.CANCELLED,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  UNAVAILABLE: status.UNAVAILABLE,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INVALID_CONFIG: status.FAILED_PRECONDITION,
  DIGEST_MISMATCH: status.DATA_LOSS,
  CONFLICT: status.ABORTED,
  INTERNAL: status.INTERNAL,
};

/** A gRPC status code with the message a client may see. */
export interface GrpcStatus {
  readonly code: status;
  readonly details: string;
}

/**
 * Longest status message, in bytes once percent-encoded. grpc-js sends it as an HTTP/2 header
 * (`grpc-message`), and a header larger than the peer's table breaks the whole connection with
 * a compression error; messages that quote what a client sent could otherwise be any size.
 */
export const MAX_DETAILS_BYTES = 2048;

/** `details`, shortened to fit `MAX_DETAILS_BYTES` when encoded, never splitting a character. */
export function boundDetails(details: string): string {
  if (details.length <= MAX_DETAILS_BYTES / 9 || encodeURI(details).length <= MAX_DETAILS_BYTES) return details;
  const marker = ' [message shortened]';
  let end = Math.min(details.length, MAX_DETAILS_BYTES);
  let text = '';
  for (;;) {
    text = details.slice(0, end);
    // A cut between the halves of a surrogate pair would leave a lone half, which encodeURI rejects.
    if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
    if (encodeURI(text).length + marker.length <= MAX_DETAILS_BYTES) return `${text}${marker}`;
    end = Math.floor(end * 0.75);
  }
}

/** Maps `err` to a status; INTERNAL and unknown errors are logged with their stack. */
export function toGrpcStatus(err: unknown, logger: Logger): GrpcStatus {
  if (err instanceof SluiceError && err.code !== 'INTERNAL') {
    return { code: STATUS_OF[err.code], details: boundDetails(err.message) };
  }
  logger.error({ err }, 'internal error');
  return { code: status.INTERNAL, details: 'internal error; the server log has the details' };
}
