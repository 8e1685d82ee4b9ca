/**
 * What a watch or a source being started needs from its socket. The socket alone holds which
 * activity is current, so a start that awaited something asks whether it still is before going on.
 */
import type { WatchResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ErrorMessage, ServerControlMessage } from '../protocol/messages.js';
import type { PredictResponseJson } from '../protocol/predict-response-json.js';
import type { Activity, Sourcing, Watching } from './activity.js';
import type { UpstreamCall } from './upstream-error.js';

/** The socket as its activities see it. */
export interface ActivityHost {
  /** Whether `activity` is still the socket's: a stop, a new activity or the socket's close may have come since. */
  isCurrent(activity: Activity): boolean;
  /** Makes `activity` the socket's current activity. */
  enter(activity: Activity): void;
  /** Leaves the current activity, which never started, and answers `message`. */
  refuse(message: ErrorMessage): void;
  /** A source begins (1) or ends (-1) waiting for the model list: the socket counts them against `maxSourcesPerSocket`. */
  countStart(change: 1 | -1): void;
  /** Sends a result of `activity`, counting it as delivered or dropped. */
  result(activity: Sourcing | Watching, response: PredictResponseJson, item?: WatchResponse): void;
  /** `activity`'s call is over (`error` undefined: it completed): unless it was replaced, it ends, telling the client why. */
  end(activity: Sourcing | Watching, error: unknown, call: UpstreamCall): void;
  /** Sends a control message. */
  control(message: ServerControlMessage): void;
}
