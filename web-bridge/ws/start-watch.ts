/**
 * The watch a `watch` message asks for: a `WatchRelay` on the named stream, which opens once the
 * bridge has checked that the user may see it.
 */
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { WatchMessage } from '../protocol/messages.js';
import type { PredictResponseJson } from '../protocol/predict-response-json.js';
import type { ActivityHost } from './activity-host.js';
import { type Watching, newCounters } from './activity.js';
import type { BridgeSocketDeps } from './bridge-socket-deps.js';
import { WatchRelay } from './watch-relay.js';

/** What a watch needs from the bridge. */
export type StartWatchDeps = Pick<BridgeSocketDeps, 'config' | 'upstream' | 'privateSessions' | 'logger'>;

/** Makes a watch of `message.session` for `user` the socket's activity, and answers `watching`. */
export function startWatch(deps: StartWatchDeps, message: WatchMessage, user: string, host: ActivityHost): void {
  const { privateSessions, upstream } = deps;
  // The server lets the bridge's token watch every stream the bridge published; whose private
  // stream it is, only the bridge knows, and it checks before the Watch call opens.
  const gate = privateSessions.enforced ? () => privateSessions.checkWatch(message.session, user, () => upstream.listSessions()) : undefined;
  const counters = newCounters();
  const request = { session: message.session, maxWidth: message.maxWidth ?? deps.config.watchMaxWidth };
  const activity: Watching = {
    kind: 'watch',
    session: message.session,
    counters,
    relay: new WatchRelay(upstream, request, {
      onItem: (item) => {
        if (!host.isCurrent(activity)) return;
        host.result(activity, PredictResponse.toJSON(item.response ?? PredictResponse.fromPartial({})) as PredictResponseJson, item);
      },
      onEnd: (error) => host.end(activity, error, 'watch'),
    }, gate),
  };
  host.enter(activity);
  deps.logger.info({ session: message.session, user }, 'watch started');
  host.control({ type: 'watching', session: message.session });
}
