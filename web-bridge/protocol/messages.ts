/**
 * The bridge's WebSocket protocol (`GET /ws`): the messages each side sends. Text messages are
 * JSON control messages; binary messages are frames (client to bridge) and results (bridge to
 * client, see `result-frame.ts`). Shared by the bridge and the viewer, so no Node or DOM types.
 */
import type { PredictResponseJson } from './predict-response-json.js';

/** Version of this protocol, announced in `hello`. */
export const PROTOCOL_VERSION = 1;

/**
 * Codes of the `error` messages. Stable: clients switch on them, never on message text. After an
 * error the socket stays open and usable.
 */
export const WS_ERROR_CODES = [
  /** A text message that is not a JSON object. */
  'BAD_JSON',
  /** `type` missing or not one of watch, source, evaluate, stop. */
  'UNKNOWN_TYPE',
  /** A known type with a missing or invalid field; the message names the field. */
  'BAD_MESSAGE',
  /** `source` names a model the server does not serve. */
  'UNKNOWN_MODEL',
  /** `source` names a model that takes tensors, not images. */
  'NOT_AN_IMAGE_MODEL',
  /** A binary frame over the bridge's `maxFrameBytes`; it is not forwarded. */
  'FRAME_TOO_LARGE',
  /** A binary frame while no source is started (before `source-started`, or after `stop`). */
  'NO_SOURCE',
  /** `watch` names no published stream. */
  'SESSION_NOT_FOUND',
  /** `source` asked to publish under a name another open stream holds. */
  'PUBLISH_NAME_TAKEN',
  /** The gRPC call to the Sluice server failed; `grpcCode` says how. */
  'UPSTREAM_ERROR',
  /** The socket's token is no longer valid (the bridge's token file was reloaded without it). */
  'UNAUTHENTICATED',
  /**
   * The socket's token lacks the role the message needs (`watch` for watch, `infer` for source),
   * or the watched stream is private to another user (refused by the bridge, or by the server
   * with `grpcCode` 7).
   */
  'PERMISSION_DENIED',
  /** A `source` or `evaluate` while the socket already has the bridge's `maxSourcesPerSocket` of them starting; the message names the limit. */
  'TOO_MANY_SOURCES',
  /** `evaluate` names a dataset the bridge does not have (see `GET /api/datasets`). */
  'UNKNOWN_DATASET',
] as const;

export type WsErrorCode = (typeof WS_ERROR_CODES)[number];

// Client to bridge.

/** Follow a published stream (`StreamOptions.publish`), with a display JPEG of each item. */
export interface WatchMessage {
  readonly type: 'watch';
  readonly session: string;
  /** Widest display image wanted (default: the bridge's `watchMaxWidth`). */
  readonly maxWidth?: number;
}

/** Become a live source: the binary frames that follow go to `model` on one Predict stream. */
export interface SourceMessage {
  readonly type: 'source';
  readonly model: string;
  /**
   * The stream's window (`max_in_flight`): frames forwarded and not yet answered. The bridge keeps
   * to it, holding only the freshest further frame and dropping the one it replaces.
   */
  readonly window?: number;
  /** Name to publish the stream under (default: `browser-` and random hex). */
  readonly publish?: string;
  /** A frame that has not started after this many milliseconds is answered DEADLINE_EXCEEDED. */
  readonly itemTimeoutMs?: number;
  /**
   * Only this socket's user may list and watch the stream (default false). Meaningful when the
   * bridge takes tokens; without them every user is the same.
   */
  readonly private?: boolean;
}

/** Most images one `evaluate` may run: `paths` entries, or `upload`. */
export const MAX_EVALUATE_IMAGES = 100_000;

/**
 * Run `model` over images of a dataset (`GET /api/datasets`), on one Predict stream that drops
 * nothing: every path is answered once, in order, by a result with `activity: "evaluate"`,
 * `index` and `path`; then `ended` says `done`. Images are read from disk as the window frees.
 */
export interface EvaluateDatasetMessage {
  readonly type: 'evaluate';
  readonly model: string;
  readonly dataset: string;
  /** Items of the dataset (their `path`), in the order to run them; at most `MAX_EVALUATE_IMAGES`. */
  readonly paths: readonly string[];
  /** Images in flight (default: the bridge's `defaultWindow`; larger values are capped at its `maxWindow`). */
  readonly window?: number;
}

/**
 * Run `model` over images the page sends: after this message, the next `upload` binary messages
 * are the images (encoded JPEG, PNG or WebP), in order; result `index` n answers the n-th.
 */
export interface EvaluateUploadMessage {
  readonly type: 'evaluate';
  readonly model: string;
  /** How many images follow; at most `MAX_EVALUATE_IMAGES`. */
  readonly upload: number;
  /** As for a dataset. */
  readonly window?: number;
}

export type EvaluateMessage = EvaluateDatasetMessage | EvaluateUploadMessage;

/** Ends the current watch or source (gracefully: frames sent are answered), or cancels an evaluation at once. */
export interface StopMessage {
  readonly type: 'stop';
}

export type ClientMessage = WatchMessage | SourceMessage | EvaluateMessage | StopMessage;

// Bridge to client (text).

/** First message on every socket. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocol: number;
  /** Largest frame the bridge forwards, in bytes. */
  readonly maxFrameBytes: number;
}

/** A watch has started; results follow. */
export interface WatchingMessage {
  readonly type: 'watching';
  readonly session: string;
}

/** A source is ready: send frames now. The n-th binary message after this one is frame `n` (id "n"). */
export interface SourceStartedMessage {
  readonly type: 'source-started';
  /** The name the stream is published under; other clients can watch it. */
  readonly session: string;
  readonly model: string;
  readonly window: number;
}

/** Why an activity ended; an evaluation ends `done`, `stopped` or `error` only. */
export type EndReason =
  /** The watched stream ended, or after `stop` every frame of the source was answered. */
  | 'completed'
  /** A watch ended by `stop`. */
  | 'stopped'
  /** A new watch or source replaced it; results still in flight are discarded. */
  | 'replaced'
  /** Its gRPC call failed; an `error` message said why. */
  | 'failed'
  /** An evaluation answered every image. */
  | 'done'
  /** An evaluation failed (its gRPC call, or its model check); an `error` message said why. */
  | 'error';

/**
 * An evaluation has started: `total` results follow, then `ended`. For an upload, send the
 * images now (the bridge also takes those sent before this message).
 */
export interface EvaluateStartedMessage {
  readonly type: 'evaluate-started';
  readonly activity: 'evaluate';
  /** Names this run in its results and its `ended` (never published). */
  readonly session: string;
  readonly model: string;
  readonly total: number;
  /** The window in force, after the bridge's cap. */
  readonly window: number;
}

/** A watch, a source or an evaluation is over; no result of it follows. */
export interface EndedMessage {
  readonly type: 'ended';
  readonly activity: 'watch' | 'source' | 'evaluate';
  readonly session: string;
  readonly reason: EndReason;
  readonly counters: ActivityCounters;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: WsErrorCode;
  readonly message: string;
  /** The gRPC status code, for UPSTREAM_ERROR, SESSION_NOT_FOUND, PUBLISH_NAME_TAKEN and PERMISSION_DENIED when the server answered. */
  readonly grpcCode?: number;
  /** Frame index, for errors about one frame. */
  readonly frame?: number;
}

export type ServerControlMessage = HelloMessage | WatchingMessage | SourceStartedMessage | EvaluateStartedMessage | EndedMessage | ErrorMessage;

/**
 * Counts of one activity, so far. For a source, every frame received is forwarded, waiting or
 * dropped by the bridge (`frames = framesForwarded + framesWaiting + framesDropped`, plus frames
 * refused with FRAME_TOO_LARGE), and every frame gets one result: the server's answer (a
 * prediction, an error, or `dropped`, counted in `framesDroppedByServer`) or the bridge's `dropped`.
 *
 * For an evaluation, `frames` are the images taken (read from disk, or received from the page),
 * `framesWaiting` those received and not yet forwarded, and nothing is ever dropped: every image
 * gets one result (the server's answer, or an error the bridge makes for a file it cannot read or
 * that is too large), and a result waits for the socket to drain rather than being dropped.
 */
export interface ActivityCounters {
  /** Frames received from the client (sources only). */
  readonly frames: number;
  /** Frames forwarded to the server (sources only). */
  readonly framesForwarded: number;
  /**
   * Frames held by the bridge, not yet forwarded because the window is full or the gRPC stream is
   * not draining: 0 or 1, the freshest (sources only).
   */
  readonly framesWaiting: number;
  /** Frames the bridge dropped without forwarding them: a fresher frame replaced them while they waited. Each was answered `dropped`. */
  readonly framesDropped: number;
  /** Frames the server answered `dropped`: pushed out of the stream's window by a fresher frame. */
  readonly framesDroppedByServer: number;
  /** Results delivered to this socket. */
  readonly results: number;
  /** Results the bridge did not send because the socket was not draining. */
  readonly resultsDropped: number;
}

// Bridge to client (binary): the header of a result.

export interface ResultHeader {
  readonly type: 'result';
  readonly activity: 'watch' | 'source' | 'evaluate';
  readonly session: string;
  /** Evaluations: the image's position in `paths` or in the upload. */
  readonly index?: number;
  /** Evaluations of a dataset: the image's path. */
  readonly path?: string;
  /** The server's response; coordinates are in the pixels of the image the item carried. */
  readonly response: PredictResponseJson;
  /** Size of the attached JPEG; 0 when there is none. */
  readonly width: number;
  readonly height: number;
  /** Whether a JPEG follows the header (watch results; source results never carry one). */
  readonly hasImage: boolean;
  readonly counters: ActivityCounters;
}
