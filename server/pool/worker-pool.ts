/**
 * The pool of inference worker threads: a thin layer over piscina that starts every worker with
 * all models loaded, waits until they are ready, turns task failures into SluiceErrors, and
 * watches its workers for the whole of its life: a worker that dies, a replacement that cannot
 * load the models, a run that never returns.
 *
 * A pool never stops a thread that may be inside onnxruntime (that aborts the whole process), so
 * it cannot mend a stuck run itself: it fails the run's items, reports the trouble to its
 * listeners (model control starts a fresh pool and retires this one), and keeps counting the run
 * as running so that `close` still waits for it to come back.
 */
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import { type InferTask, type InferTaskResult, type ModelSpec, WORKER_FAILED, WORKER_READY, type WorkerInit, type WorkerStatusMessage } from '../worker/task.js';
import { withRunTimeout } from './run-timeout.js';

/** Options of `WorkerPool.start`. */
export interface WorkerPoolOptions {
  /** Worker threads; each holds a session of every model. */
  readonly workers: number;
  /** onnxruntime intra-op threads per session. */
  readonly intraOpThreads: number;
  readonly maxImagePixels: number;
  readonly models: readonly ModelSpec[];
  readonly logger: Logger;
  /** How long workers may take to load their models. */
  readonly startTimeoutMs?: number;
  /** Milliseconds one run may take before it fails and its worker is replaced; 0 or absent: no limit. */
  readonly runTimeoutMs?: number;
}

/**
 * What changed in a pool: `run-timed-out` (a run passed the run timeout; its worker is stuck and
 * the pool should be replaced), `run-returned` (such a run came back), `worker-failed` (a
 * replacement worker could not load the models; the pool should be replaced), `worker-died` (a
 * worker stopped outside any task; piscina starts a replacement).
 */
export interface PoolEvent {
  readonly kind: 'run-timed-out' | 'run-returned' | 'worker-failed' | 'worker-died';
  /** Whether the pool can serve every model after the event (see `WorkerPool.serving`). */
  readonly serving: boolean;
}

// The worker module sits next to this file's tree, as .ts when running from source (tsx) and
// .js when running from the compiled output.
const WORKER_FILE = new URL(`../worker/inference-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class WorkerPool {
  readonly #piscina: Piscina<InferTask, InferTaskResult>;
  readonly #logger: Logger;
  readonly #runTimeoutMs: number;
  #closing: Promise<void> | undefined;
  /** Tasks handed to piscina and not yet settled (timed-out ones included). */
  #running = 0;
  readonly #startedAt = performance.now();
  /** Sum of the tasks' times in the pool, for `utilization`. */
  #busyMs = 0;
  #idle: (() => void)[] = [];
  /** Runs past the run timeout that have not come back: each holds a worker. */
  #overdue = 0;
  /** Workers that have reported their models loaded, by thread id. */
  readonly #ready = new Set<number>();
  /** Workers that reported they could not load the models, by thread id. */
  readonly #failed = new Set<number>();
  /** Set while `start` waits for the first workers: it takes their failures. */
  #onStartFailure: ((err: SluiceError) => void) | undefined;
  #onStartProgress: (() => void) | undefined;
  readonly #listeners: ((event: PoolEvent) => void)[] = [];

  private constructor(piscina: Piscina<InferTask, InferTaskResult>, logger: Logger, runTimeoutMs: number) {
    this.#piscina = piscina;
    this.#logger = logger;
    this.#runTimeoutMs = runTimeoutMs;
    // For the pool's whole life: piscina emits 'error' for a worker that fails outside a task,
    // and an 'error' event without a listener would take the process down.
    piscina.on('error', (err: unknown) => this.#onWorkerError(err));
    piscina.on('message', (message: unknown) => this.#onWorkerMessage(message));
    piscina.on('workerDestroy', (worker: { readonly id: number }) => this.#onWorkerGone(worker.id));
  }

  /** Starts the workers and resolves once every one of them has loaded every model. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError('options.workers must be a positive integer');
    }
    const runTimeoutMs = options.runTimeoutMs ?? 0;
    if (!Number.isInteger(runTimeoutMs) || runTimeoutMs < 0) throw new RangeError('options.runTimeoutMs must be a non-negative integer');
    const logger = options.logger.child({ component: 'worker-pool' });
    const workerData: WorkerInit = {
      models: options.models,
      intraOpThreads: options.intraOpThreads,
      maxImagePixels: options.maxImagePixels,
    };
    const piscina = new Piscina<InferTask, InferTaskResult>({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      // A worker that exits reloads every model: keep them for the life of the server.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      // The scheduler never has more tasks out than workers; this bound only catches a bug.
      maxQueue: options.workers * 4,
      workerData,
      // Workers load their models asynchronously after piscina marks them ready; Atomics.wait
      // between tasks would block that loading (and any other async work in a worker).
      atomics: 'disabled',
      // The scheduler measures what it needs; piscina's own timing histograms cost every task.
      recordTiming: false,
    });
    const pool = new WorkerPool(piscina, logger, runTimeoutMs);
    try {
      await pool.#waitUntilReady(options.workers, options.startTimeoutMs ?? 120_000);
    } catch (err: unknown) {
      await pool.destroy();
      throw err;
    }
    logger.info({ workers: options.workers, models: options.models.length }, 'workers ready');
    return pool;
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.#piscina.maxThreads;
  }

  /**
   * Runs the pool can take now: its workers less those held by runs that timed out. The scheduler
   * sends no more, so that items wait where they can still be cancelled, expired or batched,
   * rather than behind a stuck run in piscina's queue.
   */
  get capacity(): number {
    return Math.max(0, this.size - this.#overdue);
  }

  /**
   * The worker threads, for diagnostics. Stopping one that is running a model aborts the whole
   * process (onnxruntime does not survive it); an idle one is replaced.
   */
  get threads(): readonly Worker[] {
    return this.#piscina.threads;
  }

  /**
   * False while the pool cannot serve every item it is given: a worker could not load the models
   * (its items would fail), or every worker is held by a run that timed out.
   */
  get serving(): boolean {
    return this.#failed.size === 0 && this.capacity > 0;
  }

  /** Share of time the workers were busy since start, 0..1 (a task counts from hand-off to result). */
  get utilization(): number {
    const capacity = this.size * (performance.now() - this.#startedAt);
    return capacity > 0 ? Math.min(1, this.#busyMs / capacity) : 0;
  }

  /** Calls `listener` on every change in what the pool can serve (see `PoolEvent`). */
  onEvent(listener: (event: PoolEvent) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Runs a task; `transferList` buffers are moved to the worker and unusable afterwards. Rejects
   * with INTERNAL when the worker fails, or when the run takes longer than the run timeout.
   */
  run(task: InferTask, transferList: readonly ArrayBuffer[]): Promise<InferTaskResult> {
    this.#running++;
    const start = performance.now();
    const done = this.#piscina.run(task, { transferList: [...transferList] }).then(
      (result) => {
        this.#settled(start);
        return result;
      },
      (err: unknown) => {
        this.#settled(start);
        this.#logger.error({ err, model: task.model }, 'worker task failed');
        throw new SluiceError('INTERNAL', 'inference worker failed', { cause: err });
      },
    );
    if (this.#runTimeoutMs === 0) return done;
    return withRunTimeout(done, this.#runTimeoutMs, {
      overdue: () => {
        this.#overdue++;
        this.#logger.error({ model: task.model, items: task.items.length, runTimeoutMs: this.#runTimeoutMs }, 'a run took longer than the run timeout: its items failed, and its worker stays held until it returns');
        this.#emit('run-timed-out');
        return new SluiceError('INTERNAL', `the run of model ${task.model} took longer than the run timeout (${this.#runTimeoutMs} ms)`);
      },
      returned: () => {
        this.#overdue--;
        this.#logger.warn({ model: task.model, ms: Math.round(performance.now() - start) }, 'a run that timed out has returned; its result is dropped');
        this.#emit('run-returned');
      },
    });
  }

  /**
   * Waits for every task to finish, then stops the workers. Idempotent. The wait is ours, not
   * piscina's: its close stops every worker as soon as one of them is idle, and stopping a thread
   * inside onnxruntime aborts the whole process. Runs that timed out are waited for too.
   */
  close(): Promise<void> {
    this.#closing ??= this.#whenIdle().then(() => this.#piscina.close());
    return this.#closing;
  }

  /**
   * Stops the workers at once, failing running tasks. Only for a pool with nothing running (a
   * pool that failed to start): a thread stopped inside onnxruntime aborts the process.
   */
  async destroy(): Promise<void> {
    this.#closing ??= Promise.resolve();
    await this.#piscina.destroy();
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #settled(start: number): void {
    this.#busyMs += performance.now() - start;
    this.#running--;
    if (this.#running === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  #emit(kind: PoolEvent['kind']): void {
    const event: PoolEvent = { kind, serving: this.serving };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err: unknown) {
        this.#logger.error({ err, event: kind }, 'a pool event listener failed');
      }
    }
  }

  #onWorkerMessage(message: unknown): void {
    const status = message as Partial<WorkerStatusMessage> | null;
    if (status?.threadId === undefined) return;
    if (status.type === WORKER_READY) {
      this.#ready.add(status.threadId);
      if (this.#onStartProgress !== undefined) this.#onStartProgress();
      else this.#logger.info({ threadId: status.threadId }, 'replacement worker ready');
    } else if (status.type === WORKER_FAILED) {
      const reason = typeof status.message === 'string' ? status.message : 'unknown';
      if (this.#onStartFailure !== undefined) {
        this.#onStartFailure(new SluiceError('INVALID_CONFIG', `a worker could not load the models: ${reason}`));
        return;
      }
      this.#failed.add(status.threadId);
      this.#logger.error({ threadId: status.threadId, reason }, 'a replacement worker could not load the models; the pool cannot serve');
      this.#emit('worker-failed');
    }
  }

  #onWorkerError(err: unknown): void {
    if (this.#onStartFailure !== undefined) {
      this.#onStartFailure(new SluiceError('INTERNAL', `a worker failed while starting: ${errorMessage(err)}`, { cause: err }));
      return;
    }
    // Piscina has already dropped the worker and started a replacement (it reports its loading).
    this.#logger.error({ err }, 'a worker failed outside any task; a replacement is starting');
    this.#emit('worker-died');
  }

  #onWorkerGone(threadId: number): void {
    this.#ready.delete(threadId);
    const wasFailed = this.#failed.delete(threadId);
    if (this.#closing !== undefined) return;
    this.#logger.warn({ threadId }, 'a worker stopped');
    if (wasFailed) this.#emit('worker-died');
  }

  /** Resolves when every worker has reported its models loaded; rejects on the first failure. */
  #waitUntilReady(workers: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (err: SluiceError | undefined): void => {
        clearTimeout(timeout);
        this.#onStartFailure = undefined;
        this.#onStartProgress = undefined;
        if (err === undefined) resolve();
        else reject(err);
      };
      const timeout = setTimeout(() => settle(new SluiceError('UNAVAILABLE', `workers did not load their models within ${timeoutMs} ms`)), timeoutMs);
      this.#onStartFailure = settle;
      this.#onStartProgress = () => {
        if (this.#ready.size >= workers) settle(undefined);
      };
    });
  }
}
