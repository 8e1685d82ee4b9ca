/**
 * Loading, reloading and unloading models while the server runs. A change starts a new worker
 * pool holding the new set of models, points the scheduler at it, and closes the old pool once
 * the runs it has finish: items already running finish on the version they started on, items
 * still waiting run on the new one, and nothing is lost. Changes are applied one at a time.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import { WorkerPool, type WorkerPoolOptions } from '../pool/worker-pool.js';
import type { LoadedModel } from '../repository/load-model.js';
import { MODEL_CONFIG_FILE } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** Health service name of the whole inference API. */
export const INFERENCE_SERVICE_NAME = 'sluice.v1.InferenceService';

/** Health service name of one model: `sluice.v1.InferenceService/<model>`. */
export const modelHealthName = (model: string): string => `${INFERENCE_SERVICE_NAME}/${model}`;

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

export class ModelControl {
  readonly #deps: ModelControlDeps;
  readonly #logger: Logger;
  #pool: WorkerPool;
  #retiring = new Set<Promise<void>>();
  #queue: Promise<unknown> = Promise.resolve();
  #poller: NodeJS.Timeout | undefined;
  #fingerprints = new Map<string, string>();
  #polling = false;

  constructor(deps: ModelControlDeps) {
    this.#deps = deps;
    this.#pool = deps.pool;
    this.#logger = deps.logger.child({ component: 'model-control' });
  }

  /** The pool serving new runs. */
  get pool(): WorkerPool {
    return this.#pool;
  }

  /** Loads `name` from the repository folder, or reloads it. */
  load(name: string): Promise<LoadedModel> {
    return this.#serially(async () => {
      const model = await this.#deps.repository.loadOne(name);
      const previous = this.#deps.repository.get(name);
      if (model.spec !== undefined) {
        const specs = this.#deps.repository.onnxSpecs().filter((s) => s.config.name !== name);
        await this.#swapPool([...specs, model.spec]);
      }
      this.#deps.repository.set(model);
      this.#sync();
      this.#deps.health.setStatus(modelHealthName(name), 'SERVING');
      this.#fingerprints.set(name, await this.#fingerprint(name));
      this.#logger.info({ model: name, reloaded: previous !== undefined }, previous === undefined ? 'model loaded' : 'model reloaded');
      return model;
    });
  }

  /** Stops serving `name`; refused while a loaded pipeline uses it. */
  unload(name: string): Promise<void> {
    return this.#serially(async () => {
      const model = this.#deps.repository.get(name);
      if (model === undefined) throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} is not loaded`);
      const users = this.#deps.repository.dependents(name);
      if (users.length > 0) throw new SluiceError('INVALID_CONFIG', `model ${name} is a stage of ${users.join(', ')}; unload ${users.length > 1 ? 'them' : 'it'} first`);
      this.#deps.repository.delete(name);
      this.#sync();
      if (model.spec !== undefined) await this.#swapPool(this.#deps.repository.onnxSpecs());
      this.#deps.health.setStatus(modelHealthName(name), 'NOT_SERVING');
      this.#fingerprints.delete(name);
      this.#logger.info({ model: name }, 'model unloaded');
    });
  }

  /**
   * Watches the repository every `intervalMs`: new folders are loaded, changed ones reloaded,
   * removed ones unloaded. A folder that fails its checks is logged and left as it was.
   */
  async startPolling(intervalMs: number): Promise<void> {
    for (const model of this.#deps.repository.list()) this.#fingerprints.set(model.name, await this.#fingerprint(model.name));
    this.#poller = setInterval(() => void this.#poll(), intervalMs);
    this.#poller.unref();
  }

  /** Stops polling and waits for retiring pools. The current pool is the caller's to close. */
  async close(): Promise<void> {
    clearInterval(this.#poller);
    await this.#queue.catch(() => undefined);
    await Promise.all(this.#retiring);
  }

  async #poll(): Promise<void> {
    // A poll awaits file checks and changes; a tick that comes meanwhile is skipped.
    if (this.#polling) return;
    this.#polling = true;
    try {
      const folders = new Set(await this.#deps.repository.folders());
      for (const name of folders) {
        const fingerprint = await this.#fingerprint(name);
        if (this.#fingerprints.get(name) === fingerprint) continue;
        this.#fingerprints.set(name, fingerprint);
        await this.load(name).catch((err: unknown) => this.#logger.error({ err, model: name }, 'model change not applied'));
      }
      for (const model of this.#deps.repository.list()) {
        if (!folders.has(model.name)) await this.unload(model.name).catch((err: unknown) => this.#logger.error({ err, model: model.name }, 'unload not applied'));
      }
    } catch (err: unknown) {
      this.#logger.error({ err }, 'repository poll failed');
    } finally {
      this.#polling = false;
    }
  }

  /** Size and modification time of the folder's config and model files. */
  async #fingerprint(name: string): Promise<string> {
    const parts: string[] = [];
    for (const file of [MODEL_CONFIG_FILE, this.#deps.repository.get(name)?.config.file || 'model.onnx']) {
      const info = await stat(join(this.#deps.repository.dir, name, file)).catch(() => undefined);
      parts.push(info === undefined ? '-' : `${info.size}:${info.mtimeMs}`);
    }
    return parts.join('|');
  }

  #sync(): void {
    this.#deps.scheduler.syncModels(this.#deps.repository);
    this.#deps.router.syncModels(this.#deps.repository);
  }

  async #swapPool(specs: WorkerPoolOptions['models']): Promise<void> {
    const next = await WorkerPool.start({ ...this.#deps.poolOptions, models: specs });
    const old = this.#pool;
    this.#pool = next;
    this.#deps.scheduler.replacePool(next);
    // The old pool finishes the runs it has, then goes.
    const retiring = old.close().finally(() => this.#retiring.delete(retiring));
    this.#retiring.add(retiring);
  }

  #serially<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.catch(() => undefined).then(change);
    this.#queue = run;
    return run;
  }
}
