/**
 * What a socket is doing: at most one activity at a time, a watch or a source, and what it has
 * counted so far.
 */
import type { WatchResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ActivityCounters, ResultHeader } from '../protocol/messages.js';
import type { PredictResponseJson } from '../protocol/predict-response-json.js';
import type { SourceRelay } from './source-relay.js';
import type { WatchRelay } from './watch-relay.js';

/** What the socket counts itself; the source relay counts what became of the frames. */
export interface Counters {
  frames: number;
  framesDroppedByServer: number;
  results: number;
  resultsDropped: number;
}

/** A source waiting for the server's model list before its call opens. */
export interface Starting {
  readonly kind: 'starting';
  readonly session: string;
}

export interface Sourcing {
  readonly kind: 'source';
  readonly session: string;
  readonly relay: SourceRelay;
  readonly counters: Counters;
  /** Forgets the private stream's publisher; called when the source ends, however it ends. */
  readonly release: () => void;
  /** `stop` was received: frames are refused, answers still come. */
  stopping: boolean;
}

export interface Watching {
  readonly kind: 'watch';
  readonly session: string;
  readonly relay: WatchRelay;
  readonly counters: Counters;
}

export type Activity = Starting | Sourcing | Watching;

export function newCounters(): Counters {
  return { frames: 0, framesDroppedByServer: 0, results: 0, resultsDropped: 0 };
}

/** The counters of `activity` as the protocol reports them. */
export function snapshot(activity: Activity): ActivityCounters {
  const { frames, framesDroppedByServer, results, resultsDropped } = activity.kind === 'starting' ? newCounters() : activity.counters;
  const relayed = activity.kind === 'source' ? activity.relay.counts : { forwarded: 0, waiting: 0, dropped: 0 };
  return { frames, framesForwarded: relayed.forwarded, framesWaiting: relayed.waiting, framesDropped: relayed.dropped, framesDroppedByServer, results, resultsDropped };
}

/** The result message for `response` (with the watched item's display JPEG, if any), counting itself as delivered. */
export function resultMessage(activity: Sourcing | Watching, response: PredictResponseJson, item?: WatchResponse): { readonly header: ResultHeader; readonly image: Uint8Array | undefined } {
  const image = item !== undefined && item.jpeg.byteLength > 0 ? item.jpeg : undefined;
  const header: ResultHeader = {
    type: 'result',
    activity: activity.kind,
    session: activity.session,
    response,
    width: image === undefined ? 0 : (item?.width ?? 0),
    height: image === undefined ? 0 : (item?.height ?? 0),
    hasImage: image !== undefined,
    counters: { ...snapshot(activity), results: activity.counters.results + 1 },
  };
  return { header, image };
}
