/**
 * The pool of inference worker threads: a thin layer over piscina that starts every worker with
 * all models loaded, waits until they are ready, and turns task failures into SluiceErrors.
 */
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import { type InferTask, type InferTaskResult, type ModelSpec, WORKER_FAILED, WORKER_READY, type WorkerInit, type WorkerStatusMessage } from '../worker/task.js';

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

// The worker module sits next to this file's tree, as .ts when running from source (tsx) and
// .js when running from the compiled output.
const WORKER_FILE = new URL(`../worker/inference-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

export class WorkerPool {
  readonly #piscina: Piscina<InferTask, InferTaskResult>;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;
  /** Tasks handed to piscina and not yet settled. */
  #running = 0;
  readonly #startedAt = performance.now();
  /** Sum of the tasks' times in the pool, for `utilization`. */
  #busyMs = 0;
  #idle: (() => void)[] = [];

  private constructor(piscina: Piscina<InferTask, InferTaskResult>, logger: Logger) {
    this.#piscina = piscina;
    this.#logger = logger;
  }

  /** Starts the workers and resolves once every one of them has loaded every model. */
  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError('options.workers must be a positive integer');
    }
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
    const pool = new WorkerPool(piscina, logger);
    try {
      await pool.#waitUntilReady(options.workers, options.startTimeoutMs ?? 120_000);
    } catch (err: unknown) {
      await piscina.destroy();
      throw err;
    }
    logger.info({ workers: options.workers, models: options.models.length }, 'workers ready');
    return pool;
  }

  /** Worker threads in the pool. */
  get size(): number {
    return this.#piscina.maxThreads;
  }

  /** Share of time the workers were busy since start, 0..1 (a task counts from hand-off to result). */
  get utilization(): number {
    const capacity = this.size * (performance.now() - this.#startedAt);
    return capacity > 0 ? Math.min(1, this.#busyMs / capacity) : 0;
  }

  /** Runs a task; `transferList` buffers are moved to the worker and unusable afterwards. */
  async run(task: InferTask, transferList: readonly ArrayBuffer[]): Promise<InferTaskResult> {
    this.#running++;
    const start = performance.now();
    try {
      return await this.#piscina.run(task, { transferList: [...transferList] });
    } catch (err: unknown) {
      this.#logger.error({ err, model: task.model }, 'worker task failed');
      throw new SluiceError('INTERNAL', 'inference worker failed', { cause: err });
    } finally {
      this.#busyMs += performance.now() - start;
      this.#running--;
      if (this.#running === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /**
   * Waits for every task to finish, then stops the workers. Idempotent. The wait is ours, not
   * piscina's: its close stops every worker as soon as one of them is idle, and stopping a thread
   * inside onnxruntime aborts the whole process.
   */
  close(): Promise<void> {
    this.#closing ??= this.#whenIdle().then(() => this.#piscina.close());
    return this.#closing;
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops the workers at once, failing running tasks. Only for a pool with nothing running (a
   * pool that failed to start): a thread stopped inside onnxruntime aborts the process.
   */
  async destroy(): Promise<void> {
    await this.#piscina.destroy();
  }

  /** Resolves when every worker has reported its models loaded; rejects on the first failure. */
  #waitUntilReady(workers: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ready = new Set<number>();
      const onMessage = (message: unknown): void => {
        const status = message as Partial<WorkerStatusMessage> | null;
        if (status?.type === WORKER_READY && status.threadId !== undefined) {
          ready.add(status.threadId);
          if (ready.size === workers) settle(undefined);
        } else if (status?.type === WORKER_FAILED) {
          settle(new SluiceError('INVALID_CONFIG', `a worker could not load the models: ${status.message}`));
        }
      };
      const onError = (err: unknown): void => {
        settle(new SluiceError('INTERNAL', `a worker failed while starting: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      };
      const timeout = setTimeout(() => settle(new SluiceError('UNAVAILABLE', `workers did not load their models within ${timeoutMs} ms`)), timeoutMs);
      const settle = (err: SluiceError | undefined): void => {
        clearTimeout(timeout);
        this.#piscina.off('message', onMessage);
        this.#piscina.off('error', onError);
        if (err === undefined) resolve();
        else reject(err);
      };
      this.#piscina.on('message', onMessage);
      this.#piscina.on('error', onError);
    });
  }
}
