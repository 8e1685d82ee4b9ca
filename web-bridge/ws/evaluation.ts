/**
 * One `evaluate` on a socket, from the model check to `ended`: the `evaluate-started` message,
 * one result per image (`activity: "evaluate"`, `index`, `path` for a dataset), and `ended` with
 * `done`, `stopped` or `error`. As for a source, a refused start (unknown model, ListModels
 * failing) is an `error` without `ended`; once accepted, a stop or a replacement ends it `stopped`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { BridgeConfig } from '../bridge-config.js';
import type { Dataset } from '../datasets/dataset.js';
import { DatasetError } from '../datasets/dataset-error.js';
import type { ActivityCounters, EndReason, ErrorMessage, EvaluateMessage, ResultHeader, ServerControlMessage } from '../protocol/messages.js';
import type { PredictResponseJson } from '../protocol/predict-response-json.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';
import { DatasetFeed, type EvaluateFeed, UploadFeed, type UploadFlow } from './evaluate-feed.js';
import { EvaluateRelay } from './evaluate-relay.js';
import { pickImageModel } from './pick-image-model.js';
import type { SocketSender } from './socket-sender.js';
import { upstreamErrorMessage } from './upstream-error.js';

/** Where an evaluation's messages go: the socket, within its sender's limits. */
export interface EvaluationSink extends UploadFlow {
  /** Whether a result can be sent now without the socket holding more than its limit. */
  hasRoom(): boolean;
  /** Sends a result; false when the socket is gone. */
  result(header: ResultHeader): boolean;
  control(message: ServerControlMessage): void;
}

/**
 * The sink of `socket`: results go through `sender`, and only while the socket holds at most
 * `maxBufferedBytes`, the limit beyond which `sender` would drop them.
 */
export function socketSink(socket: WebSocket, sender: SocketSender, maxBufferedBytes: number): EvaluationSink {
  return {
    hasRoom: () => socket.readyState === socket.OPEN && socket.bufferedAmount <= maxBufferedBytes,
    result: (header) => sender.result(header),
    control: (message) => sender.control(message),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}

/** What an evaluation needs from its socket. */
export interface EvaluationDeps {
  readonly upstream: SluiceUpstream;
  readonly log: FastifyBaseLogger;
  readonly sink: EvaluationSink;
  /** Called once when the evaluation is over, however it ends (not after `dispose()`). */
  readonly onOver: (evaluation: Evaluation) => void;
}

/** The settings an evaluation takes from the bridge's configuration. */
type EvaluationConfig = Pick<BridgeConfig, 'datasets' | 'maxFrameBytes' | 'defaultWindow'>;

type State = 'starting' | 'running' | 'over';

export class Evaluation {
  /** Names the run in its messages and the log. */
  readonly session = `evaluate-${randomBytes(4).toString('hex')}`;
  readonly model: string;
  readonly window: number;
  readonly #deps: EvaluationDeps;
  readonly #feed: EvaluateFeed;
  readonly #upload: UploadFeed | undefined;
  readonly #paths: readonly string[] | undefined;
  #state: State = 'starting';
  #relay: EvaluateRelay | undefined;
  #results = 0;
  #resultsDropped = 0;
  #droppedByServer = 0;

  private constructor(message: EvaluateMessage, feed: EvaluateFeed, window: number, deps: EvaluationDeps) {
    this.#deps = deps;
    this.model = message.model;
    this.window = window;
    this.#feed = feed;
    this.#upload = feed instanceof UploadFeed ? feed : undefined;
    this.#paths = 'paths' in message ? message.paths : undefined;
  }

  /**
   * An evaluation of `message`, not started; or the error to answer when it names a dataset the
   * bridge does not have (UNKNOWN_DATASET) or a path that is not one of its items (BAD_MESSAGE).
   */
  static open(message: EvaluateMessage, config: EvaluationConfig, deps: EvaluationDeps): Evaluation | ErrorMessage {
    const window = message.window ?? config.defaultWindow;
    if ('upload' in message) {
      // Uploads are held up to a few images' worth before the socket stops being read.
      return new Evaluation(message, new UploadFeed(message.upload, config.maxFrameBytes, 4 * config.maxFrameBytes, deps.sink), window, deps);
    }
    let dataset: Dataset;
    try {
      dataset = config.datasets.get(message.dataset);
    } catch (err: unknown) {
      if (!(err instanceof DatasetError)) throw err;
      return { type: 'error', code: 'UNKNOWN_DATASET', message: err.message };
    }
    const wrong = message.paths.findIndex((path) => dataset.item(path) === undefined);
    if (wrong >= 0) {
      return { type: 'error', code: 'BAD_MESSAGE', message: `evaluate.paths[${wrong}] ${JSON.stringify(message.paths[wrong])} is not an image of dataset ${JSON.stringify(dataset.name)}` };
    }
    return new Evaluation(message, new DatasetFeed(dataset, message.paths, config.maxFrameBytes), window, deps);
  }

  /** Whether the page's next binary message is one of this evaluation's images. */
  get takesUploads(): boolean {
    return this.#state !== 'over' && this.#upload?.wantsMore === true;
  }

  /** Images of an upload the page has yet to send: those that follow an early end are to be ignored. */
  get uploadsMissing(): number {
    return this.#upload?.missing ?? 0;
  }

  /** The next uploaded image (see `takesUploads`). */
  pushUpload(frame: Uint8Array): void {
    this.#upload?.push(frame);
  }

  /** Checks the model, then starts the stream; a refusal is sent as an `error`. Never rejects. */
  async start(): Promise<void> {
    const { upstream, sink } = this.#deps;
    let models;
    try {
      models = (await upstream.listModels()).models;
    } catch (err: unknown) {
      this.#refuse(upstreamErrorMessage(err, 'list-models'));
      return;
    }
    const picked = pickImageModel(models, this.model);
    if ('error' in picked) {
      this.#refuse(picked.error);
      return;
    }
    // A stop, a new activity or the socket's close came while the models were listed.
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    sink.control({ type: 'evaluate-started', activity: 'evaluate', session: this.session, model: this.model, total: this.#feed.total, window: this.window });
    this.#relay = new EvaluateRelay(upstream, { model: this.model, window: this.window }, this.#feed, {
      hasRoom: () => sink.hasRoom(),
      onResult: (index, response) => this.#sendResult(index, response),
      onEnd: (error) => {
        if (this.#state === 'over') return;
        if (error !== undefined) sink.control(upstreamErrorMessage(error, 'source'));
        this.#end(error === undefined ? 'done' : 'error');
      },
    });
  }

  /** Cancels the run and tells the page `ended` with `stopped`. Idempotent. */
  stop(): void {
    if (this.#state === 'over') return;
    this.#end('stopped');
  }

  /** Cancels the run without a word (the socket is closing). Idempotent. */
  dispose(): void {
    if (this.#state === 'over') return;
    this.#state = 'over';
    this.#relay?.cancel();
    this.#feed.close();
  }

  #counters(): ActivityCounters {
    const counts = this.#relay?.counts ?? { forwarded: 0 };
    return {
      frames: this.#feed.received,
      framesForwarded: counts.forwarded,
      framesWaiting: this.#feed.waiting,
      framesDropped: 0,
      framesDroppedByServer: this.#droppedByServer,
      results: this.#results,
      resultsDropped: this.#resultsDropped,
    };
  }

  #sendResult(index: number, response: PredictResponse): void {
    if (this.#state !== 'running') return;
    // DROP_POLICY_NONE: counted should the server ever answer `dropped` all the same.
    if (response.result?.$case === 'dropped') this.#droppedByServer++;
    const path = this.#paths?.[index];
    const header: ResultHeader = {
      type: 'result',
      activity: 'evaluate',
      session: this.session,
      index,
      ...(path === undefined ? {} : { path }),
      response: PredictResponse.toJSON(response) as PredictResponseJson,
      width: 0,
      height: 0,
      hasImage: false,
      counters: { ...this.#counters(), results: this.#results + 1 },
    };
    if (this.#deps.sink.result(header)) this.#results++;
    else this.#resultsDropped++;
  }

  #refuse(error: ErrorMessage): void {
    if (this.#state !== 'starting') return;
    this.#state = 'over';
    this.#feed.close();
    this.#deps.sink.control(error);
    this.#deps.onOver(this);
  }

  #end(reason: EndReason): void {
    this.#state = 'over';
    this.#relay?.cancel();
    this.#feed.close();
    const counters = this.#counters();
    this.#deps.log.info({ activity: 'evaluate', session: this.session, model: this.model, reason, ...counters }, 'activity ended');
    this.#deps.sink.control({ type: 'ended', activity: 'evaluate', session: this.session, reason, counters });
    this.#deps.onOver(this);
  }
}
