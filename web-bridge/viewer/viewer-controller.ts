/**
 * The viewer's state: what the socket is doing (idle, starting a source, sourcing, watching), the
 * stream the address asks for (watched whenever it is published), and what that does to the
 * address, the empty state and the test hook. Results are shown by `ResultView`.
 */
import type { ErrorMessage, ServerControlMessage } from '../protocol/messages.js';
import { BridgeConnection } from './bridge-connection.js';
import { CameraSource } from './camera-source.js';
import { EmptyState } from './empty-state.js';
import { emptyStateFor } from './empty-state-message.js';
import { FileSource } from './file-source.js';
import type { FrameSource } from './frame-source.js';
import { ResultView } from './result-view.js';
import { SourceStreamer } from './source-streamer.js';
import { SyntheticSource } from './synthetic-source.js';
import { type ViewerTestHook, installTestHook } from './test-hook.js';
import { replaceUrlState } from './url-state.js';
import type { ViewerMode } from './viewer-mode.js';

/** The page's elements the viewer reads and writes. */
export interface ViewerElements {
  readonly connection: HTMLElement;
  readonly status: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly caption: HTMLElement;
  readonly classes: HTMLOListElement;
  readonly texts: HTMLUListElement;
  readonly timingPanel: HTMLElement;
  readonly chart: HTMLElement;
  readonly statsLine: HTMLElement;
  readonly modelSelect: HTMLSelectElement;
  readonly sessionSelect: HTMLSelectElement;
  readonly sourceKind: HTMLSelectElement;
  readonly sourceFile: HTMLInputElement;
  readonly windowInput: HTMLInputElement;
  readonly fpsInput: HTMLInputElement;
  readonly privateInput: HTMLInputElement;
  readonly stopButton: HTMLButtonElement;
  /** The message over the frame area while it has no live frame. */
  readonly emptyState: HTMLElement;
}

/** Options of `Viewer`. */
export interface ViewerOptions {
  /** The session the address names: watched as soon as, and whenever, it is published. */
  readonly session?: string | undefined;
}

function clampInt(input: HTMLInputElement, min: number, max: number): number {
  const value = Math.round(Number(input.value));
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}

/** The live page: one socket to the bridge, watching a published stream or sending frames as one. */
export class Viewer {
  readonly #el: ViewerElements;
  readonly #connection: BridgeConnection;
  readonly #view: ResultView;
  readonly #hook: ViewerTestHook = installTestHook();
  readonly #empty: EmptyState;
  #mode: ViewerMode = { kind: 'idle' };
  #connected = false;
  /** The session to watch whenever it is published and nothing else is going on. */
  #wanted: string | undefined;
  /** Sessions as last listed; undefined until a list newer than the last end or reconnection arrives. */
  #listed: readonly string[] | undefined;
  /** Start sending once connected: asked by the address, or a source the socket dropped. */
  #startPending = false;

  constructor(elements: ViewerElements, options: ViewerOptions = {}) {
    this.#el = elements;
    this.#wanted = options.session;
    this.#view = new ResultView(elements, this.#hook, {
      mode: () => this.#mode,
      problem: (text) => this.#status(text, true),
      firstFrame: () => this.#refresh(),
    });
    this.#empty = new EmptyState(elements.emptyState, (session) => this.watchSession(session));
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.#connection = new BridgeConnection(url, {
      onOpen: () => {
        this.#setConnected(true);
        this.#follow();
        this.#startIfPending();
      },
      onClose: () => {
        // A bridge that comes back gets the same work: the wanted session is watched again once
        // listed, and a source that was sending starts again.
        if (this.#mode.kind === 'source' || this.#mode.kind === 'starting') this.#startPending = true;
        this.#listed = undefined;
        this.#setConnected(false);
        this.#setMode({ kind: 'idle' });
      },
      onControl: (message) => this.#onControl(message),
      onResult: ({ header, image }) => this.#view.result(header, image),
    });
    this.#setMode({ kind: 'idle' });
  }

  /** Whether a source is sending or starting. */
  get sending(): boolean {
    return this.#mode.kind === 'source' || this.#mode.kind === 'starting';
  }

  /** Starts sending from the chosen source as soon as the socket is open (now, if it is). */
  startWhenConnected(): void {
    this.#startPending = true;
    this.#startIfPending();
  }

  /** Starts sending frames from the chosen source to the chosen model. */
  async startSource(): Promise<void> {
    this.#startPending = false;
    this.#wanted = undefined;
    this.#leave();
    const model = this.#el.modelSelect.value;
    if (model === '') return this.#status('no image model to send to', true);
    const kind = this.#el.sourceKind.value;
    // The address now reproduces this: the same model and source, sent from at once if synthetic.
    replaceUrlState(window, { session: undefined, model, source: kind, autostart: kind === 'synthetic' ? '1' : undefined });
    let source: FrameSource;
    try {
      const file = this.#el.sourceFile.files?.[0];
      if (kind === 'camera') source = await CameraSource.open();
      else if (kind === 'file') {
        if (file === undefined) return this.#status('choose a video or image file first', true);
        source = await FileSource.open(file);
      } else source = new SyntheticSource();
    } catch (err: unknown) {
      return this.#status(`cannot open the source: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    const inFlight = clampInt(this.#el.windowInput, 1, 32);
    // Named here rather than by the bridge, so that messages about it can be told from late ones
    // about an activity it replaced.
    const session = `browser-${Math.random().toString(16).slice(2, 10)}`;
    const message = { type: 'source', model, window: inFlight, publish: session } as const;
    if (!this.#connection.send(this.#el.privateInput.checked ? { ...message, private: true } : message)) {
      source.close();
      return this.#status('not connected to the bridge', true);
    }
    this.#setMode({ kind: 'starting', source, session, window: inFlight, fps: clampInt(this.#el.fpsInput, 1, 30) });
    this.#status(`starting ${model}…`);
  }

  /** Follows the published stream chosen in the picker. */
  watch(): void {
    const session = this.#el.sessionSelect.value;
    if (session === '') return this.#status('no published stream to watch', true);
    this.watchSession(session);
  }

  /** Follows `session`, and again whenever it is published anew, until something else is asked for. */
  watchSession(session: string): void {
    this.#startPending = false;
    this.#wanted = session;
    replaceUrlState(window, { session, autostart: undefined });
    this.#leave();
    if ([...this.#el.sessionSelect.options].some((o) => o.value === session)) this.#el.sessionSelect.value = session;
    if (this.#connection.send({ type: 'watch', session })) this.#setMode({ kind: 'watch', session });
    else this.#refresh();
  }

  /** Ends the current watch or source, and the waiting for the address's session. */
  stop(): void {
    this.#startPending = false;
    if (this.#wanted !== undefined) replaceUrlState(window, { session: undefined });
    else replaceUrlState(window, { autostart: undefined });
    this.#wanted = undefined;
    if (this.#mode.kind === 'source') this.#mode.streamer.stop();
    this.#connection.send({ type: 'stop' });
    this.#setMode(this.#mode);
  }

  /** The sessions the server lists now: the wanted one is watched once it appears. */
  sessionsListed(names: readonly string[]): void {
    this.#listed = names;
    this.#follow();
    this.#refresh();
  }

  /** Shows the timing breakdown of the frame on the canvas. */
  showDetails(): void {
    this.#view.showDetails();
  }

  /** Leaves the current activity locally (the bridge replaces it when the next one starts). */
  #leave(): void {
    this.#setMode({ kind: 'idle' });
  }

  /** Watches the wanted session if it is listed and the socket is free for it. */
  #follow(): void {
    const wanted = this.#wanted;
    if (wanted === undefined || !this.#connected || this.#mode.kind !== 'idle' || this.#listed?.includes(wanted) !== true) return;
    this.watchSession(wanted);
  }

  #startIfPending(): void {
    if (this.#startPending && this.#connected && this.#wanted === undefined) void this.startSource();
  }

  #setMode(mode: ViewerMode): void {
    const old = this.#mode;
    if (old !== mode) {
      if (old.kind === 'source') old.streamer.close();
      if ((old.kind === 'source' || old.kind === 'starting') && (mode.kind !== 'source' || mode.source !== old.source)) old.source.close();
      this.#mode = mode;
      this.#view.reset(old.kind, mode.kind);
    }
    this.#hook.mode = mode.kind;
    this.#hook.session = mode.kind === 'idle' ? '' : mode.session;
    this.#el.stopButton.disabled = mode.kind === 'idle' && this.#wanted === undefined;
    this.#refresh();
  }

  #setConnected(up: boolean): void {
    this.#connected = up;
    this.#hook.connected = up;
    this.#el.connection.textContent = up ? 'connected' : 'disconnected';
    this.#el.connection.className = `pill ${up ? 'up' : 'down'}`;
    this.#refresh();
  }

  /** Shows or hides the message over the frame area. */
  #refresh(): void {
    const mode = this.#mode;
    this.#empty.show(
      emptyStateFor({
        connected: this.#connected,
        mode: mode.kind,
        session: mode.kind === 'idle' ? '' : mode.session,
        wanted: this.#wanted,
        listed: this.#listed,
        framesShown: this.#view.framesShown,
      }),
    );
    this.#hook.emptyState = this.#empty.title;
  }

  #status(text: string, isError = false): void {
    this.#el.status.textContent = text;
    this.#el.status.classList.toggle('error', isError);
  }

  #onControl(message: ServerControlMessage): void {
    switch (message.type) {
      case 'hello':
        return;
      case 'watching':
        return this.#status(`watching ${message.session}`);
      case 'source-started': {
        const mode = this.#mode;
        if (mode.kind !== 'starting' || mode.session !== message.session) return;
        const streamer = new SourceStreamer(this.#connection, mode.source, { fps: mode.fps, window: mode.window });
        this.#setMode({ kind: 'source', source: mode.source, streamer, session: message.session });
        streamer.start();
        return this.#status(`sending to ${message.model}, published as ${message.session}`);
      }
      case 'ended':
        // An activity this viewer replaced reports `replaced` after its successor has begun.
        if (message.reason === 'replaced' || this.#mode.kind === 'idle' || this.#mode.session !== message.session) return;
        // A list from before the end may still name the session: only a newer one brings it back.
        if (message.activity === 'watch') this.#listed = undefined;
        this.#setMode({ kind: 'idle' });
        return this.#status(
          `${message.activity} ${message.session} ${message.reason}: ${message.counters.results} results; dropped ${message.counters.framesDropped} frames and ${message.counters.resultsDropped} results in the bridge, ${message.counters.framesDroppedByServer} frames in the server`,
        );
      case 'error':
        return this.#onError(message);
    }
  }

  #onError(message: ErrorMessage): void {
    const mode = this.#mode;
    if (message.code === 'SESSION_NOT_FOUND' && mode.kind === 'watch' && mode.session === this.#wanted) {
      // It ended between the list and the watch: no fault of the user's, and `ended` follows.
      this.#listed = undefined;
      return this.#status(`${mode.session} is not published any more: waiting for it`);
    }
    this.#hook.errors++;
    this.#hook.lastError = message.code;
    this.#status(`${message.code}: ${message.message}`, true);
    // A source that fails to start gets no `ended`: it never started. Nor does a message the
    // bridge refuses outright, which starts nothing.
    const refused = message.code === 'UNAUTHENTICATED' || message.code === 'PERMISSION_DENIED' || message.code === 'TOO_MANY_SOURCES';
    if (this.#mode.kind === 'starting' || (refused && message.grpcCode === undefined)) this.#setMode({ kind: 'idle' });
  }
}
