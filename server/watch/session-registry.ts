/**
 * Streams published for watching, by name, and their watchers. A stream taps its answered items
 * into its entry; the entry hands each to every watcher, lossily.
 */
import type { SessionInfo, WatchResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { encodeWatchEvent } from './watch-codec.js';
import type { Watcher } from './watcher.js';

/** How a stream is published. */
export interface PublishOptions {
  /** Name of the publishing caller (its token's name). */
  readonly owner: string;
  /** Only the owner may list and watch it. */
  readonly private: boolean;
}

/** A published stream as watchers see it. */
export class PublishedStream {
  readonly name: string;
  readonly owner: string;
  readonly private: boolean;
  readonly startedAtMs = Date.now();
  readonly watchers = new Set<Watcher>();
  model = '';
  items = 0;
  dropped = 0;

  constructor(name: string, options: PublishOptions) {
    this.name = name;
    this.owner = options.owner;
    this.private = options.private;
  }

  /** Whether `caller` may list and watch it. */
  visibleTo(caller: string): boolean {
    return !this.private || caller === this.owner;
  }

  /** Widest image any watcher wants, 0 when nobody watches (so no thumbnail is made). */
  get thumbnailWidth(): number {
    let widest = 0;
    for (const watcher of this.watchers) widest = Math.max(widest, watcher.maxWidth);
    return widest;
  }

  /** Hands an answered item to every watcher, encoded once for all of them. */
  publish(event: WatchResponse): void {
    if (this.watchers.size === 0) return;
    const encoded = encodeWatchEvent(event);
    for (const watcher of this.watchers) watcher.offer(encoded);
  }

  info(): SessionInfo {
    return { name: this.name, model: this.model, items: this.items, dropped: this.dropped, watchers: this.watchers.size, startedAtMs: this.startedAtMs, private: this.private };
  }
}

export class SessionRegistry {
  readonly #streams = new Map<string, PublishedStream>();

  /** Registers a stream under `name`; ALREADY_EXISTS when another open stream has it. */
  publish(name: string, options: PublishOptions): PublishedStream {
    if (this.#streams.has(name)) throw new SluiceError('ALREADY_EXISTS', `a stream is already published as ${JSON.stringify(name)}`);
    const stream = new PublishedStream(name, options);
    this.#streams.set(name, stream);
    return stream;
  }

  /** Removes a stream and ends its watchers' calls. */
  unpublish(stream: PublishedStream): void {
    if (this.#streams.get(stream.name) !== stream) return;
    this.#streams.delete(stream.name);
    for (const watcher of stream.watchers) watcher.end();
    stream.watchers.clear();
  }

  /**
   * Adds `caller`'s watcher to the stream called `name`; NOT_FOUND when there is none,
   * PERMISSION_DENIED when it is private to another caller.
   */
  watch(name: string, watcher: Watcher, caller: string): PublishedStream {
    const stream = this.#streams.get(name);
    if (stream === undefined) throw new SluiceError('SESSION_NOT_FOUND', `no stream is published as ${JSON.stringify(name)}`);
    if (!stream.visibleTo(caller)) throw new SluiceError('PERMISSION_DENIED', `the stream ${JSON.stringify(name)} is private to its publisher`);
    stream.watchers.add(watcher);
    return stream;
  }

  /** The streams `caller` may see. */
  list(caller: string): readonly PublishedStream[] {
    return [...this.#streams.values()].filter((stream) => stream.visibleTo(caller));
  }

  /** Ends every watcher, for a shutdown. */
  close(): void {
    for (const stream of this.#streams.values()) {
      for (const watcher of stream.watchers) watcher.abort('server is shutting down');
      stream.watchers.clear();
    }
  }
}
