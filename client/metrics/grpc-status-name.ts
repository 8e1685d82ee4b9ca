/**
 * Names of gRPC status codes (google.rpc.Code), the table grpc-js's `status` enum holds, kept here
 * without grpc-js so that code bundled for browsers (the bridge's batch page) names codes the same
 * way `sluice batch` does.
 */
const NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** `NOT_FOUND` for 5; a code outside the table as its number (`String(code)`). */
export function grpcStatusName(code: number): string {
  return NAMES[code] ?? String(code);
}
