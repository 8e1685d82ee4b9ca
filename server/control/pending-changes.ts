/**
 * The line of model changes waiting to be applied, one at a time. Every change may start a new
 * worker pool (every model loaded again in every worker), so requests are merged while they wait:
 * loads asked for behind a change in progress join one follow-up change, however many arrive; the
 * same model asked for twice is one load with one result; a request to replace the pool rides
 * along with the waiting loads. At most one change runs, and the line grows only by alternating
 * loads and unloads, each a real change.
 */
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { LoadedModel } from '../repository/load-model.js';

/** A load being applied: the fingerprint of its files before they were read, and its result. */
export interface AppliedLoad {
  readonly fingerprint: Promise<string>;
  readonly result: Promise<LoadedModel>;
}

/** One model to load, and everyone waiting for it. Settling it twice is harmless. */
export interface PendingLoad {
  readonly name: string;
  readonly result: Promise<LoadedModel>;
  readonly resolve: (model: LoadedModel) => void;
  readonly reject: (err: unknown) => void;
  /**
   * The load of the same model that was being applied when this one was asked for: if the files
   * have not changed since it read them, this one shares its result rather than load again.
   */
  readonly during: AppliedLoad | undefined;
}

/** Loads to apply together, with at most one new pool. */
export interface LoadChange {
  readonly kind: 'load';
  readonly loads: Map<string, PendingLoad>;
  /** Replace this pool even when no ONNX model changes (it reported trouble). */
  replace: WorkerPool | undefined;
}

/** One model to stop serving. */
export interface UnloadChange {
  readonly kind: 'unload';
  readonly name: string;
  readonly result: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type Change = LoadChange | UnloadChange;

function deferred<T>(): { result: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const result = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { result, resolve, reject };
}

export class PendingChanges {
  readonly #apply: (change: Change) => Promise<void>;
  readonly #logger: Logger;
  readonly #waiting: Change[] = [];
  #busy = false;
  #closed = false;
  #whenIdle: (() => void)[] = [];

  /**
   * `apply` carries out one change and settles its requests; whatever it leaves unsettled when
   * it throws is answered with that error.
   */
  constructor(apply: (change: Change) => Promise<void>, logger: Logger) {
    this.#apply = apply;
    this.#logger = logger;
  }

  /** Asks for `name` to be loaded; `during` is the load of it being applied now, if any. */
  load(name: string, during: AppliedLoad | undefined): Promise<LoadedModel> {
    if (this.#closed) return Promise.reject(new SluiceError('UNAVAILABLE', 'server is shutting down'));
    const change = this.#waitingLoads() ?? this.#enqueue<LoadChange>({ kind: 'load', loads: new Map(), replace: undefined });
    const joined = change.loads.get(name);
    if (joined !== undefined) return joined.result;
    const pending: PendingLoad = { name, during, ...deferred<LoadedModel>() };
    change.loads.set(name, pending);
    return pending.result;
  }

  /** Asks for `name` to stop being served, after the changes asked for before. */
  unload(name: string): Promise<void> {
    if (this.#closed) return Promise.reject(new SluiceError('UNAVAILABLE', 'server is shutting down'));
    const last = this.#waiting.at(-1);
    if (last?.kind === 'unload' && last.name === name) return last.result;
    return this.#enqueue<UnloadChange>({ kind: 'unload', name, ...deferred<void>() }).result;
  }

  /** Asks for `pool` to be replaced by a fresh one with the same models (it reported trouble). */
  replacePool(pool: WorkerPool): void {
    if (this.#closed) return;
    const change = this.#waitingLoads() ?? this.#enqueue<LoadChange>({ kind: 'load', loads: new Map(), replace: undefined });
    change.replace = pool;
  }

  /** Takes no more requests; resolves once those already taken are applied. */
  close(): Promise<void> {
    this.#closed = true;
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#whenIdle.push(resolve));
  }

  /** The last change waiting, when it is a load that more loads may join. */
  #waitingLoads(): LoadChange | undefined {
    const last = this.#waiting.at(-1);
    return last?.kind === 'load' ? last : undefined;
  }

  #enqueue<T extends Change>(change: T): T {
    this.#waiting.push(change);
    if (!this.#busy) {
      this.#busy = true;
      // Started on the next microtask, so that requests made together (a poll's) join one change.
      queueMicrotask(() => {
        this.#drain().catch((err: unknown) => this.#logger.error({ err }, 'model changes stopped'));
      });
    }
    return change;
  }

  async #drain(): Promise<void> {
    for (let change = this.#waiting.shift(); change !== undefined; change = this.#waiting.shift()) {
      try {
        await this.#apply(change);
      } catch (err: unknown) {
        if (change.kind === 'unload') change.reject(err);
        else for (const pending of change.loads.values()) pending.reject(err);
      }
    }
    this.#busy = false;
    for (const wake of this.#whenIdle.splice(0)) wake();
  }
}
