/**
 * The gRPC status code a client call ends with, for tests that check refusals.
 */
import { status } from '@grpc/grpc-js';
import { isServiceError } from '../../client/index.js';

/** The status code a call ends with, OK when it succeeds; other errors are rethrown. */
export async function codeOf(call: Promise<unknown>): Promise<status> {
  try {
    await call;
    return status.OK;
  } catch (err: unknown) {
    if (!isServiceError(err)) throw err;
    return err.code;
  }
}
