/**
 * Loading, reloading and unloading models while the server runs. A change starts a new worker
 * pool holding the new set of models and retires the old one once the runs it has finish
 * (`ServingPool`): items already running finish on the version they started on, items still
 * waiting run on the new one, and nothing is lost.
 *
 * Changes are applied one at a time, and loads asked for while one is applied wait together: they
 * become one follow-up change with one new pool, however many there are (`PendingChanges`). A
 * load asked for while the same model is being loaded, from files that have not changed since,
 * shares that load's result instead of loading again. A pool that reports a stuck run or a worker
 * that could not load the models is replaced with the next change (the only safe mend, see
 * `WorkerPool`).
 */
import { stat } from 'node:fs/promises';
import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { WorkerPool, WorkerPoolOptions } from '../pool/worker-pool.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { modelHealthName } from './inference-service-name.js';
import { type AppliedLoad, type LoadChange, PendingChanges, type PendingLoad, type UnloadChange } from './pending-changes.js';
import { ServingPool } from './serving-pool.js';

/** What model control works on. */
export interface ModelControlDeps {
  readonly repository: ModelRepository;
  readonly scheduler: Scheduler;
  readonly router: ModelRouter;
  readonly health: HealthImplementation;
  readonly pool: WorkerPool;
  /** Pool settings other than the models. */
  readonly poolOptions: Omit<WorkerPoolOptions, 'models'>;
  readonly logger: Logger;
}

/** A load whose folder was read and checked, on its way to serving. */
interface ReadLoad {
  readonly pending: PendingLoad;
  readonly fingerprint: string;
  readonly model: LoadedModel;
  /** A version of the model was loaded before. */
  readonly reloaded: boolean;
}

export class ModelControl {
  readonly #deps: ModelControlDeps;
  readonly #logger: Logger;
  readonly #servingPool: ServingPool;
  readonly #changes: PendingChanges;
  /** Loads of the change being applied, by model, for the loads asked for meanwhile. */
  #applying: ReadonlyMap<string, AppliedLoad> = new Map();
  #poller: NodeJS.Timeout | undefined;
  #fingerprints = new Map<string, string>();
  #polling = false;

  constructor(deps: ModelControlDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'model-control' });
    this.#changes = new PendingChanges((change) => this.#apply(change), this.#logger);
    this.#servingPool = new ServingPool({
      pool: deps.pool,
      poolOptions: deps.poolOptions,
      scheduler: deps.scheduler,
      health: deps.health,
      logger: this.#logger,
      // The replacement joins the next change, so it costs no extra pool.
      onTrouble: (pool) => this.#changes.replacePool(pool),
    });
  }

  /** The pool serving new runs. */
  get pool(): WorkerPool {
    return this.#servingPool.current;
  }

  /** Loads `name` from the repository folder, or reloads it. */
  load(name: string): Promise<LoadedModel> {
    return this.#changes.load(name, this.#applying.get(name));
  }

  /** Stops serving `name`; refused while a loaded pipeline uses it. */
  unload(name: string): Promise<void> {
    return this.#changes.unload(name);
  }

  /**
   * Watches the repository every `intervalMs`: new folders are loaded, changed ones reloaded,
   * removed ones unloaded. A folder that fails its checks is logged and left as it was.
   */
  async startPolling(intervalMs: number): Promise<void> {
    for (const model of this.#deps.repository.list()) this.#fingerprints.set(model.name, await this.#fingerprint(model.name));
    this.#poller = setInterval(() => {
      this.#poll().catch((err: unknown) => this.#logger.error({ err }, 'repository poll failed'));
    }, intervalMs);
    this.#poller.unref();
  }

  /**
   * For the start of a shutdown: polling stops, and overall health is left to the server (a pool
   * that recovers during the drain must not turn it back to SERVING). Changes already asked for,
   * and the pool replacements a drain may need, go on. Idempotent; `close` calls it too.
   */
  stop(): void {
    clearInterval(this.#poller);
    this.#servingPool.stop();
  }

  /**
   * Stops polling and taking changes, lets the changes already asked for finish, and waits for
   * retiring pools. The current pool is the caller's to close.
   */
  async close(): Promise<void> {
    this.stop();
    await this.#changes.close();
    await this.#servingPool.retired();
  }

  async #poll(): Promise<void> {
    // A poll awaits file checks and changes; a tick that comes meanwhile is skipped.
    if (this.#polling) return;
    this.#polling = true;
    try {
      const onDisk = new Set(await this.#deps.repository.onDisk());
      const changed: string[] = [];
      for (const name of onDisk) {
        const fingerprint = await this.#fingerprint(name);
        if (this.#fingerprints.get(name) === fingerprint) continue;
        this.#fingerprints.set(name, fingerprint);
        changed.push(name);
      }
      // Asked for together, the loads become one change with one new pool.
      await Promise.all(changed.map((name) => this.load(name).catch((err: unknown) => this.#logger.error({ err, model: name }, 'model change not applied'))));
      for (const model of this.#deps.repository.list()) {
        if (!onDisk.has(model.name) && !this.#deps.repository.isFile(model.name)) await this.unload(model.name).catch((err: unknown) => this.#logger.error({ err, model: model.name }, 'unload not applied'));
      }
    } finally {
      this.#polling = false;
    }
  }

  async #apply(change: LoadChange | UnloadChange): Promise<void> {
    if (change.kind === 'load') return this.#loadAll(change);
    await this.#unload(change);
    change.resolve();
    return undefined;
  }

  async #unload(change: UnloadChange): Promise<void> {
    const { name } = change;
    const model = this.#deps.repository.get(name);
    if (model === undefined) throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} is not loaded`);
    const users = this.#deps.repository.dependents(name);
    if (users.length > 0) throw new SluiceError('INVALID_CONFIG', `model ${name} is a stage of ${users.join(', ')}; unload ${users.length > 1 ? 'them' : 'it'} first`);
    this.#deps.repository.delete(name);
    this.#sync();
    this.#deps.health.setStatus(modelHealthName(name), 'NOT_SERVING');
    this.#fingerprints.delete(name);
    this.#logger.info({ model: name }, 'model unloaded');
    if (model.spec === undefined) return;
    // The model is no longer served either way; a new pool only frees its session's memory.
    await this.#servingPool.replace(this.#deps.repository.onnxSpecs()).catch((err: unknown) => {
      this.#logger.error({ err, model: name }, 'the workers could not be restarted without the unloaded model; the old pool keeps its session');
    });
  }

  /**
   * Applies the loads of one change with at most one new pool: each folder is read and checked
   * on its own (one that fails does not hold back the others), the ONNX models go into a new pool
   * together, then pipelines are checked against the models now served.
   */
  async #loadAll(change: LoadChange): Promise<void> {
    // Fingerprints are taken before any folder is read, and the loads are listed at once (before
    // any await), so that a request arriving from now on can tell whether it asks for more.
    const loads = [...change.loads.values()].map((pending) => ({ pending, fingerprint: this.#fingerprint(pending.name) }));
    this.#applying = new Map(loads.map(({ pending, fingerprint }) => [pending.name, { fingerprint, result: pending.result }]));
    try {
      const fresh: { pending: PendingLoad; fingerprint: string }[] = [];
      for (const { pending, fingerprint } of loads) {
        const current = await fingerprint;
        const during = pending.during;
        if (during !== undefined && (await during.fingerprint) === current) {
          // Asked for while the same files were being loaded: the same change, the same result.
          void during.result.then(pending.resolve, pending.reject);
          continue;
        }
        fresh.push({ pending, fingerprint: current });
      }
      const read: ReadLoad[] = [];
      for (const { pending, fingerprint } of fresh) {
        try {
          const model = await this.#deps.repository.readOne(pending.name);
          read.push({ pending, fingerprint, model, reloaded: this.#deps.repository.get(model.name) !== undefined });
        } catch (err: unknown) {
          this.#refuse(pending, err);
        }
      }
      let onnx = read.filter((r) => r.model.spec !== undefined);
      const stale = change.replace !== undefined && change.replace === this.#servingPool.current;
      if (onnx.length > 0 || stale) {
        const names = new Set(read.map((r) => r.model.name));
        const specs = [...this.#deps.repository.onnxSpecs().filter((s) => !names.has(s.config.name)), ...onnx.flatMap((r) => (r.model.spec === undefined ? [] : [r.model.spec]))];
        try {
          await this.#servingPool.replace(specs);
        } catch (err: unknown) {
          this.#logger.error({ err, models: onnx.map((r) => r.model.name) }, 'a new worker pool could not start; the current one stays, with the loaded versions');
          const code = err instanceof SluiceError ? err.code : 'INTERNAL';
          for (const { pending } of onnx) {
            pending.reject(new SluiceError(code, `model ${JSON.stringify(pending.name)}: the inference workers could not load the models; the server log has the details`, { cause: err }));
          }
          onnx = [];
        }
      }
      const served: ReadLoad[] = [];
      for (const entry of onnx) {
        this.#deps.repository.set(entry.model);
        served.push(entry);
      }
      // Pipelines last: their stages may be among the models just loaded.
      for (const entry of read) {
        if (entry.model.spec !== undefined) continue;
        try {
          this.#deps.repository.checkStages(entry.model);
          this.#deps.repository.set(entry.model);
          served.push(entry);
        } catch (err: unknown) {
          this.#refuse(entry.pending, err);
        }
      }
      if (served.length > 0) this.#sync();
      for (const { pending, fingerprint, model, reloaded } of served) {
        this.#deps.health.setStatus(modelHealthName(model.name), 'SERVING');
        this.#fingerprints.set(model.name, fingerprint);
        this.#logger.info({ model: model.name, reloaded }, reloaded ? 'model reloaded' : 'model loaded');
        pending.resolve(model);
      }
    } finally {
      this.#applying = new Map();
    }
  }

  /** Answers a load that failed. Its message is for the client; the log gets the details. */
  #refuse(pending: PendingLoad, err: unknown): void {
    this.#logger.warn({ err, model: pending.name }, 'model not loaded');
    pending.reject(err);
  }

  /** Size and modification time of the model's config and ONNX files. */
  async #fingerprint(name: string): Promise<string> {
    const parts: string[] = [];
    for (const path of this.#deps.repository.filesOf(name)) {
      const info = await stat(path).catch(() => undefined);
      parts.push(info === undefined ? '-' : `${info.size}:${info.mtimeMs}`);
    }
    return parts.join('|');
  }

  #sync(): void {
    this.#deps.scheduler.syncModels(this.#deps.repository);
    this.#deps.router.syncModels(this.#deps.repository);
  }
}
