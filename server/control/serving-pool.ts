/**
 * The worker pool serving new runs, and the server's overall health, which follows it. A pool is
 * never changed in place: a new set of models means a new pool, which the scheduler is pointed at,
 * while the old one is retired once the runs it has finish (items already running finish on the
 * version they started on). Overall health is NOT_SERVING while the current pool cannot serve.
 */
import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { type PoolEvent, WorkerPool, type WorkerPoolOptions } from '../pool/worker-pool.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { INFERENCE_SERVICE_NAME } from './inference-service-name.js';

/** What the serving pool works with. */
export interface ServingPoolDeps {
  /** The pool the server started with. */
  readonly pool: WorkerPool;
  /** Pool settings other than the models. */
  readonly poolOptions: Omit<WorkerPoolOptions, 'models'>;
  readonly scheduler: Scheduler;
  readonly health: HealthImplementation;
  readonly logger: Logger;
  /**
   * Called when `pool`, the current one, can only be mended by a new pool (a stuck run, a worker
   * without its models); the caller replaces it with its next change.
   */
  readonly onTrouble: (pool: WorkerPool) => void;
}

/** Holds the current worker pool, replaces it whole, retires the old one and keeps overall health. */
export class ServingPool {
  readonly #deps: ServingPoolDeps;
  #current: WorkerPool;
  readonly #retiring = new Set<Promise<void>>();
  /** The overall health this has set (the server starts SERVING). */
  #serving = true;
  /** Set once the server shuts down: overall health is the server's alone from then on. */
  #stopped = false;

  constructor(deps: ServingPoolDeps) {
    this.#deps = deps;
    this.#current = deps.pool;
    this.#watch(deps.pool);
  }

  /** The pool serving new runs. */
  get current(): WorkerPool {
    return this.#current;
  }

  /**
   * Starts a pool holding `specs`, sends later runs to it and retires the current one. When the
   * new pool cannot start, this rejects and the current one stays.
   */
  async replace(specs: WorkerPoolOptions['models']): Promise<void> {
    const next = await WorkerPool.start({ ...this.#deps.poolOptions, models: specs });
    this.#watch(next);
    const old = this.#current;
    this.#current = next;
    this.#deps.scheduler.replacePool(next);
    this.#updateHealth();
    // The old pool finishes the runs it has (a stuck one included), then goes.
    const retiring = old
      .close()
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'a retired worker pool did not close cleanly'))
      .finally(() => this.#retiring.delete(retiring));
    this.#retiring.add(retiring);
  }

  /**
   * Leaves overall health to the server from now on (a pool that recovers during a drain must not
   * turn it back to SERVING). Replacements still happen. Idempotent.
   */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once the pools retired so far have closed. The current pool is the caller's to close. */
  async retired(): Promise<void> {
    await Promise.all(this.#retiring);
  }

  #watch(pool: WorkerPool): void {
    pool.onEvent((event) => this.#onPoolEvent(pool, event));
  }

  /**
   * A stuck run or a worker without its models can only be mended by a new pool: stopping the
   * thread could abort the process inside onnxruntime, and piscina would restart a failed worker
   * into the same failure.
   */
  #onPoolEvent(pool: WorkerPool, event: PoolEvent): void {
    // A retired pool's trouble goes away with it.
    if (pool !== this.#current) return;
    this.#updateHealth();
    // The worker the run held is free again: items may have waited for it.
    if (event.kind === 'run-returned') this.#deps.scheduler.wake();
    if (event.kind === 'run-timed-out' || event.kind === 'worker-failed') {
      this.#deps.logger.warn({ reason: event.kind }, 'replacing the worker pool');
      this.#deps.onTrouble(pool);
    }
  }

  /** Overall health follows whether the current pool can serve. */
  #updateHealth(): void {
    const serving = this.#current.serving;
    if (this.#stopped || serving === this.#serving) return;
    this.#serving = serving;
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.#deps.health.setStatus('', status);
    this.#deps.health.setStatus(INFERENCE_SERVICE_NAME, status);
    if (serving) this.#deps.logger.info('the worker pool serves again');
    else this.#deps.logger.error('the worker pool cannot serve; health is NOT_SERVING until it is replaced');
  }
}
