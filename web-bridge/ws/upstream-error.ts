/**
 * The one place where a failed gRPC call, or the bridge's own refusal of one, becomes an `error`
 * message for the socket.
 */
import { status } from '@grpc/grpc-js';
import type { ErrorMessage } from '../protocol/messages.js';
import { isServiceError } from '../../client/index.js';
import { SluiceError } from '../../server/index.js';

/** What the failed call was doing, for the codes that only make sense for one call. */
export type UpstreamCall = 'watch' | 'source' | 'list-models';

export function upstreamErrorMessage(err: unknown, call: UpstreamCall): ErrorMessage {
  // Refused by the bridge before any call was made: no gRPC code to report.
  if (err instanceof SluiceError && (err.code === 'PERMISSION_DENIED' || err.code === 'UNAUTHENTICATED')) return { type: 'error', code: err.code, message: err.message };
  if (!isServiceError(err)) return { type: 'error', code: 'UPSTREAM_ERROR', message: 'the bridge could not relay this call' };
  if (call === 'watch' && err.code === status.NOT_FOUND) {
    return { type: 'error', code: 'SESSION_NOT_FOUND', message: err.details, grpcCode: err.code };
  }
  // The stream is private to another publisher (or the bridge's own token lacks `watch`): the server's message says which.
  if (call === 'watch' && err.code === status.PERMISSION_DENIED) {
    return { type: 'error', code: 'PERMISSION_DENIED', message: err.details, grpcCode: err.code };
  }
  if (call === 'source' && err.code === status.ALREADY_EXISTS) {
    return { type: 'error', code: 'PUBLISH_NAME_TAKEN', message: err.details, grpcCode: err.code };
  }
  const what = call === 'watch' ? 'Watch' : call === 'source' ? 'Predict' : 'ListModels';
  return { type: 'error', code: 'UPSTREAM_ERROR', message: `${what} failed with ${status[err.code] ?? err.code}: ${err.details}`, grpcCode: err.code };
}
