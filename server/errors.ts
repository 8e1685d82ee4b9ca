/**
 * Sluice's one error hierarchy. Every error carries a stable literal `code`; callers and tests
 * branch on `code`, never on message text. `grpc/to-grpc-status.ts` is the only place that maps
 * codes to gRPC statuses.
 */
export type SluiceErrorCode =
  /** The named model is not in the repository. */
  | 'MODEL_NOT_FOUND'
  /** No stream is published under the name. */
  | 'SESSION_NOT_FOUND'
  /** A tensor or request field does not fit the model or the protocol. */
  | 'INVALID_INPUT'
  /** Image bytes are empty, corrupt or in a format that cannot be decoded. */
  | 'INVALID_IMAGE'
  /** The image has more pixels than the server allows. */
  | 'IMAGE_TOO_LARGE'
  /** A bounded queue is full. */
  | 'QUEUE_FULL'
  /** A server limit is reached: streams open, or bytes of items in flight. */
  | 'LIMIT_EXCEEDED'
  /** The item's time ran out before it could run. */
  | 'DEADLINE_EXCEEDED'
  /** The caller went away or cancelled. */
  | 'CANCELLED'
  /** A live stream dropped the item for a fresher one before it ran. */
  | 'DROPPED'
  /** A name (a published stream) is already taken. */
  | 'ALREADY_EXISTS'
  /** The server is shutting down or a model is not loaded. */
  | 'UNAVAILABLE'
  /** No credentials, or credentials the server does not know. */
  | 'UNAUTHENTICATED'
  /** The caller is known but its roles do not allow the call. */
  | 'PERMISSION_DENIED'
  /** A configuration file or option is invalid. */
  | 'INVALID_CONFIG'
  /** Bytes received do not match the digest declared for them (an upload's SHA-256). */
  | 'DIGEST_MISMATCH'
  /** Another change to the same thing is in progress (a push of the same model); try again later. */
  | 'CONFLICT'
  /** A bug or an onnxruntime failure: details go to the log, not to the client. */
  | 'INTERNAL';

/** Base class of every error Sluice raises on purpose. */
export class SluiceError extends Error {
  readonly code: SluiceErrorCode;

  constructor(code: SluiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/**
 * An error as it crosses a worker boundary: `postMessage` keeps only plain data, so workers send
 * this and the main thread rebuilds a `SluiceError` with `fromErrorData`.
 */
export interface ErrorData {
  readonly code: SluiceErrorCode;
  readonly message: string;
}

/** Turns anything thrown into `ErrorData`; unknown errors become INTERNAL with their message. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof SluiceError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function fromErrorData(data: ErrorData): SluiceError {
  return new SluiceError(data.code, data.message);
}
