/**
 * One client's WebSocket: reads its control messages and frames, runs at most one activity at a
 * time (a watch, a source or an evaluation), and sends it results through a bounded `SocketSender`. Every
 * message is checked against the socket's token for the role it needs, so a token taken out of
 * the bridge's token file stops working on sockets already open.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { SluiceError } from '../../server/index.js';
import type { BridgeNeed } from '../access/bridge-access.js';
import { type EndReason, type ErrorMessage, type EvaluateMessage, PROTOCOL_VERSION, type SourceMessage, type WatchMessage } from '../protocol/messages.js';
import { type Activity, resultMessage, snapshot } from './activity.js';
import type { ActivityHost } from './activity-host.js';
import type { BridgeSocketDeps } from './bridge-socket-deps.js';
import { parseClientMessage } from './parse-client-message.js';
import { SocketSender } from './socket-sender.js';
import { startSource } from './start-source.js';
import { startWatch } from './start-watch.js';
import { Evaluation, socketSink } from './evaluation.js';
import { upstreamErrorMessage } from './upstream-error.js';

/** Close code sent to every client when the bridge shuts down. */
export const CLOSE_GOING_AWAY = 1001;

export class BridgeSocket {
  readonly #socket: WebSocket;
  readonly #deps: BridgeSocketDeps;
  readonly #sender: SocketSender;
  readonly #log: FastifyBaseLogger;
  #activity: Activity | undefined;
  /** The evaluation running; kept apart from `#activity`, but never alongside one. */
  #evaluation: Evaluation | undefined;
  /** Images of an upload that ended early still to come from the page: ignored, not refused. */
  #strayUploads = 0;
  /** Sources waiting for the model list, superseded ones included: each holds a call to the server. */
  #sourceStarts = 0;
  #closed = false;
  /** What the starts of a watch or a source may do to this socket. */
  readonly #host: ActivityHost = {
    isCurrent: (activity) => this.#activity === activity,
    enter: (activity) => {
      this.#activity = activity;
    },
    refuse: (message) => {
      this.#activity = undefined;
      this.#error(message);
    },
    countStart: (change) => {
      this.#sourceStarts += change;
    },
    result: (activity, response, item) => {
      const { header, image } = resultMessage(activity, response, item);
      if (this.#sender.result(header, image)) activity.counters.results++;
      else activity.counters.resultsDropped++;
    },
    end: (activity, error, call) => {
      if (this.#activity !== activity) return;
      this.#activity = undefined;
      if (error !== undefined) this.#error(upstreamErrorMessage(error, call));
      this.#ended(activity, error === undefined ? 'completed' : 'failed');
    },
    control: (message) => this.#sender.control(message),
  };

  constructor(socket: WebSocket, deps: BridgeSocketDeps) {
    this.#socket = socket;
    this.#deps = deps;
    this.#log = deps.logger;
    this.#sender = new SocketSender(socket, deps.config.maxSocketBufferBytes);
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.once('close', () => this.dispose());
    this.#sender.control({ type: 'hello', protocol: PROTOCOL_VERSION, maxFrameBytes: deps.config.maxFrameBytes });
  }

  /** Cancels the current activity without telling the client (the socket is closing). Idempotent. */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancel(this.#activity);
    this.#activity = undefined;
    this.#evaluation?.dispose();
    this.#evaluation = undefined;
  }

  /** Cancels the activity and closes the socket with 1001; cuts it after `graceMs` if the client does not answer. */
  shutdown(graceMs: number): void {
    this.dispose();
    if (this.#socket.readyState === this.#socket.CLOSED) return;
    this.#socket.close(CLOSE_GOING_AWAY, 'bridge shutting down');
    const timer = setTimeout(() => this.#socket.terminate(), graceMs);
    timer.unref();
    this.#socket.once('close', () => clearTimeout(timer));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      this.#onFrame(bytes);
      return;
    }
    const parsed = parseClientMessage(bytes.toString('utf8'), this.#deps.config);
    if (!parsed.ok) {
      this.#error({ type: 'error', code: parsed.code, message: parsed.message });
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'watch': {
        const user = this.#user('watch', 'watching a stream');
        if (user !== undefined) this.#startWatch(message, user);
        return;
      }
      case 'source': {
        const user = this.#user('infer', 'sending frames');
        if (user === undefined) return;
        const limit = this.#deps.config.maxSourcesPerSocket;
        if (this.#sourceStarts >= limit) {
          this.#error({ type: 'error', code: 'TOO_MANY_SOURCES', message: `this socket already has ${this.#sourceStarts} sources starting; the bridge allows ${limit} (maxSourcesPerSocket): wait for "source-started"` });
          return;
        }
        this.#startSource(message, user).catch((err: unknown) => {
          this.#log.error({ err }, 'source failed to start');
          this.#host.refuse({ type: 'error', code: 'UPSTREAM_ERROR', message: 'the bridge could not start the source' });
        });
        return;
      }
      case 'evaluate': {
        const user = this.#user('infer', 'evaluating images');
        if (user === undefined) return;
        if (this.#sourceStarts >= this.#deps.config.maxSourcesPerSocket) {
          this.#error({ type: 'error', code: 'TOO_MANY_SOURCES', message: `this socket already has ${this.#sourceStarts} sources or evaluations starting; the bridge allows ${this.#deps.config.maxSourcesPerSocket} (maxSourcesPerSocket): wait for "evaluate-started"` });
          return;
        }
        this.#startEvaluation(message, user);
        return;
      }
      case 'stop':
        this.#stop();
        return;
    }
  }

  /** The socket's user if its token may do `what`; otherwise answers the refusal and returns undefined. */
  #user(need: BridgeNeed, what: string): string | undefined {
    try {
      return this.#deps.access.require(need, what, this.#deps.credentials).name;
    } catch (err: unknown) {
      if (!(err instanceof SluiceError) || (err.code !== 'UNAUTHENTICATED' && err.code !== 'PERMISSION_DENIED')) throw err;
      this.#error({ type: 'error', code: err.code, message: err.message });
      return undefined;
    }
  }

  #error(message: ErrorMessage): void {
    this.#log.debug({ code: message.code, grpcCode: message.grpcCode }, message.message);
    this.#sender.control(message);
  }

  #onFrame(frame: Buffer): void {
    if (this.#evaluation?.takesUploads === true) {
      this.#evaluation.pushUpload(frame);
      return;
    }
    if (this.#strayUploads > 0) {
      this.#strayUploads--;
      return;
    }
    const activity = this.#activity;
    if (activity?.kind !== 'source' || activity.stopping) {
      this.#error({
        type: 'error',
        code: 'NO_SOURCE',
        message: activity?.kind === 'starting' ? 'the source is not ready yet: wait for "source-started" before sending frames' : 'no source is active: send {"type":"source","model":...} and wait for "source-started" before sending frames',
      });
      return;
    }
    const { counters, relay } = activity;
    const index = counters.frames++;
    const { maxFrameBytes } = this.#deps.config;
    if (frame.byteLength > maxFrameBytes) {
      this.#error({ type: 'error', code: 'FRAME_TOO_LARGE', message: `frame ${index} has ${frame.byteLength} bytes; the bridge forwards at most ${maxFrameBytes}`, frame: index });
      return;
    }
    // Frames are refused above once the relay is stopping, so it takes every frame it is given.
    relay.push(index, frame);
  }

  /** Ends the current activity, telling the client why (unless it never reached it); an evaluation ends `stopped`. */
  #replace(reason: EndReason): void {
    this.#evaluation?.stop();
    // Binary messages after a new activity's message are its own, not a stopped upload's.
    this.#strayUploads = 0;
    const activity = this.#activity;
    if (activity === undefined) return;
    this.#cancel(activity);
    this.#activity = undefined;
    this.#ended(activity, reason);
  }

  #cancel(activity: Activity | undefined): void {
    if (activity?.kind === 'source' || activity?.kind === 'watch') activity.relay.cancel();
    if (activity?.kind === 'source') activity.release();
  }

  #ended(activity: Activity, reason: EndReason): void {
    const counters = snapshot(activity);
    const kind = activity.kind === 'starting' ? 'source' : activity.kind;
    this.#log.info({ activity: kind, session: activity.session, reason, ...counters }, 'activity ended');
    this.#sender.control({ type: 'ended', activity: kind, session: activity.session, reason, counters });
  }

  #startWatch(message: WatchMessage, user: string): void {
    this.#replace('replaced');
    startWatch(this.#deps, message, user, this.#host);
  }

  async #startSource(message: SourceMessage, user: string): Promise<void> {
    this.#replace('replaced');
    await startSource(this.#deps, message, user, this.#host);
  }

  #startEvaluation(message: EvaluateMessage, user: string): void {
    this.#replace('replaced');
    const { config, upstream } = this.#deps;
    const opened = Evaluation.open(message, config, {
      upstream,
      log: this.#log,
      sink: socketSink(this.#socket, this.#sender, config.maxSocketBufferBytes),
      onOver: (over) => {
        if (this.#evaluation !== over) return;
        this.#evaluation = undefined;
        this.#strayUploads = over.uploadsMissing;
      },
    });
    if (!(opened instanceof Evaluation)) return this.#error(opened);
    this.#evaluation = opened;
    this.#log.info({ session: opened.session, model: message.model, window: opened.window, user }, 'evaluation starting');
    this.#sourceStarts++;
    void opened.start().finally(() => this.#sourceStarts--);
  }

  #stop(): void {
    this.#strayUploads = 0;
    if (this.#evaluation !== undefined) {
      this.#evaluation.stop();
      return;
    }
    const activity = this.#activity;
    if (activity === undefined) return;
    if (activity.kind === 'source') {
      // Graceful: frames already forwarded are answered, then `ended` says completed.
      activity.stopping = true;
      activity.relay.stop();
      return;
    }
    this.#replace('stopped');
  }
}
