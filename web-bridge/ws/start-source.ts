/**
 * The source a `source` message asks for: its model checked against what the server serves, its
 * stream claimed for its user if private, then a `SourceRelay` that publishes the socket's frames.
 */
import { randomBytes } from 'node:crypto';
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SourceMessage } from '../protocol/messages.js';
import type { PredictResponseJson } from '../protocol/predict-response-json.js';
import type { ActivityHost } from './activity-host.js';
import { type Sourcing, type Starting, newCounters } from './activity.js';
import type { BridgeSocketDeps } from './bridge-socket-deps.js';
import { pickImageModel } from './pick-image-model.js';
import { SourceRelay } from './source-relay.js';
import { upstreamErrorMessage } from './upstream-error.js';

/** What a source needs from the bridge. */
export type StartSourceDeps = Pick<BridgeSocketDeps, 'config' | 'upstream' | 'privateSessions' | 'logger'>;

/**
 * Makes the source `message` asks for the socket's activity, `starting` while the server lists its
 * models, and answers `source-started`; or answers why it cannot start. Gives up silently when
 * something else became the socket's activity while the models were listed.
 */
export async function startSource(deps: StartSourceDeps, message: SourceMessage, user: string, host: ActivityHost): Promise<void> {
  const { config, upstream, privateSessions } = deps;
  const session = message.publish ?? `browser-${randomBytes(4).toString('hex')}`;
  const starting: Starting = { kind: 'starting', session };
  host.enter(starting);
  let models;
  host.countStart(1);
  try {
    models = (await upstream.listModels()).models;
  } catch (err: unknown) {
    if (!host.isCurrent(starting)) return;
    host.refuse(upstreamErrorMessage(err, 'list-models'));
    return;
  } finally {
    host.countStart(-1);
  }
  // A stop, a new activity or the socket's close came while the models were listed.
  if (!host.isCurrent(starting)) return;
  const picked = pickImageModel(models, message.model);
  if ('error' in picked) {
    host.refuse(picked.error);
    return;
  }
  const { model } = picked;
  const isPrivate = message.private === true;
  // Claimed before the stream reaches the server, so that it is never listed without its owner.
  const release = isPrivate ? privateSessions.claim(session, user) : () => {};
  if (release === undefined) {
    host.refuse({ type: 'error', code: 'PUBLISH_NAME_TAKEN', message: `a private stream is already published as ${JSON.stringify(session)} through this bridge` });
    return;
  }
  const window = message.window ?? config.defaultWindow;
  const counters = newCounters();
  const activity: Sourcing = {
    kind: 'source',
    session,
    counters,
    release,
    stopping: false,
    relay: new SourceRelay(
      upstream,
      { model: model.name, window, publish: session, itemTimeoutMs: message.itemTimeoutMs ?? 0, private: isPrivate },
      {
        onResponse: (response) => {
          if (!host.isCurrent(activity)) return;
          if (response.result?.$case === 'dropped') counters.framesDroppedByServer++;
          host.result(activity, PredictResponse.toJSON(response) as PredictResponseJson);
        },
        // Answered like a frame the server dropped, so that every frame gets one answer, in order.
        onDropped: (index) => {
          if (host.isCurrent(activity)) host.result(activity, { id: String(index), model: model.name, dropped: {} });
        },
        onEnd: (error) => {
          release();
          host.end(activity, error, 'source');
        },
      },
    ),
  };
  host.enter(activity);
  deps.logger.info({ session, model: model.name, window, private: isPrivate, user }, 'source started');
  host.control({ type: 'source-started', session, model: model.name, window });
}
