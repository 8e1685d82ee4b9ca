/**
 * Opens a stream session on a streaming call: `Predict`, and the Open Inference Protocol's
 * `ModelStreamInfer`, whose codec reads and writes the same items. The call takes a place among
 * the server's open streams (refused when there is none) and is drained with the others when the
 * server stops.
 */
import { status } from '@grpc/grpc-js';
import type { StreamLimits } from '../admission/stream-limits.js';
import type { Protocol } from '../metrics/server-metrics.js';
import { type PredictCall, StreamSession } from '../stream/stream-session.js';
import type { StreamSessionDeps } from '../stream/stream-session-deps.js';
import { toGrpcStatus } from './to-grpc-status.js';

/** What opening a stream needs from the server. */
export interface ServeStreamDeps extends Omit<StreamSessionDeps, 'releaseSlot' | 'streamId' | 'caller' | 'protocol'> {
  /** Streams open, in total and per connection. */
  readonly streamLimits: StreamLimits;
  /** Open streams, so that a shutdown can drain them. */
  readonly sessions: Set<StreamSession>;
  /** False once the server has started shutting down. */
  readonly accepting: () => boolean;
}

let nextStreamId = 0;

/**
 * Serves `call` with a new StreamSession; `caller` is the name of whoever opened it. The caller
 * counts the call itself.
 */
export function serveStream(call: PredictCall, deps: ServeStreamDeps, caller: string, protocol: Protocol = 'sluice'): void {
  if (!deps.accepting()) {
    call.emit('error', { code: status.UNAVAILABLE, details: 'server is shutting down' });
    return;
  }
  let releaseSlot: () => void;
  try {
    releaseSlot = deps.streamLimits.admit(call.getPeer());
  } catch (err: unknown) {
    call.emit('error', toGrpcStatus(err, deps.logger));
    return;
  }
  const session = new StreamSession(call, { ...deps, releaseSlot, streamId: ++nextStreamId, caller, protocol });
  deps.sessions.add(session);
  session.start();
  void session.closed.then(() => deps.sessions.delete(session));
}
