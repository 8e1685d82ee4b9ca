/**
 * The scheduler between request handlers and the worker pool. Each model has a bounded queue;
 * whenever a worker is free, the next model in turn sends everything waiting in its queue, up to
 * its `max_batch_size` rows, as one task. Items waiting in a queue can be cancelled; no more tasks
 * are out than there are workers, so nothing waits where it cannot be cancelled or batched.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError, fromErrorData } from '../errors.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ItemResult } from '../worker/task.js';
import type { ItemOutcome, PreparedInput, SubmitOptions } from './work-item.js';

/** Options of the scheduler. */
export interface SchedulerOptions {
  /** Items waiting per model before new ones are refused with QUEUE_FULL. */
  readonly maxQueueSize: number;
  readonly logger: Logger;
}

interface Waiting {
  readonly prepared: PreparedInput;
  readonly returnTensors: boolean;
  readonly acceptedAt: number;
  readonly finish: (outcome: ItemOutcome) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface ModelQueue {
  readonly name: string;
  readonly maxRows: number;
  readonly items: Waiting[];
}

const now = (): number => performance.timeOrigin + performance.now();
const micros = (ms: number): number => Math.max(0, Math.round(ms * 1000));

function zeroTimings(acceptedAt: number): Timings {
  return { queueUs: micros(now() - acceptedAt), preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: micros(now() - acceptedAt) };
}

export class Scheduler {
  readonly #pool: WorkerPool;
  readonly #queues: Map<string, ModelQueue>;
  readonly #order: ModelQueue[];
  readonly #maxQueueSize: number;
  readonly #logger: Logger;
  #next = 0;
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(repository: ModelRepository, pool: WorkerPool, options: SchedulerOptions) {
    this.#pool = pool;
    this.#maxQueueSize = options.maxQueueSize;
    this.#logger = options.logger.child({ component: 'scheduler' });
    this.#order = repository.list().map((m) => ({ name: m.name, maxRows: Math.max(1, m.config.maxBatchSize), items: [] }));
    this.#queues = new Map(this.#order.map((q) => [q.name, q]));
  }

  /** Items waiting in every queue. */
  get queued(): number {
    return this.#order.reduce((sum, q) => sum + q.items.length, 0);
  }

  /** Tasks out in workers. */
  get running(): number {
    return this.#running;
  }

  /**
   * Queues one item for `model` and resolves with its outcome; never rejects. A full queue, a
   * cancelled signal or a worker failure all come back as an outcome with an error.
   */
  submit(model: string, prepared: PreparedInput, options: SubmitOptions = {}): Promise<ItemOutcome> {
    const acceptedAt = now();
    const queue = this.#queues.get(model);
    if (queue === undefined) {
      return Promise.resolve({ ok: false, error: new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(model)} is not in the repository`), timings: zeroTimings(acceptedAt) });
    }
    const { signal } = options;
    if (signal?.aborted === true) {
      return Promise.resolve({ ok: false, error: new SluiceError('CANCELLED', 'the item was cancelled'), timings: zeroTimings(acceptedAt) });
    }
    if (queue.items.length >= this.#maxQueueSize) {
      return Promise.resolve({
        ok: false,
        error: new SluiceError('QUEUE_FULL', `model ${model} has ${queue.items.length} items waiting, the most it queues`),
        timings: zeroTimings(acceptedAt),
      });
    }
    return new Promise<ItemOutcome>((resolve) => {
      const waiting: Waiting = {
        prepared,
        returnTensors: options.returnTensors === true,
        acceptedAt,
        signal,
        finish: (outcome) => {
          signal?.removeEventListener('abort', waiting.onAbort);
          resolve(outcome);
        },
        onAbort: () => {
          const at = queue.items.indexOf(waiting);
          if (at === -1) return;
          queue.items.splice(at, 1);
          waiting.finish({ ok: false, error: new SluiceError('CANCELLED', 'the item was cancelled'), timings: zeroTimings(acceptedAt) });
          this.#notifyIfIdle();
        },
      };
      signal?.addEventListener('abort', waiting.onAbort, { once: true });
      queue.items.push(waiting);
      this.#pump();
    });
  }

  /** Resolves when no item is waiting or running. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.queued === 0;
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Sends work while workers are free, visiting models in turn so that none starves. */
  #pump(): void {
    while (this.#running < this.#pool.size) {
      const queue = this.#nextNonEmpty();
      if (queue === undefined) return;
      const batch = this.#take(queue);
      this.#running++;
      void this.#dispatch(queue.name, batch);
    }
  }

  #nextNonEmpty(): ModelQueue | undefined {
    for (let i = 0; i < this.#order.length; i++) {
      const queue = this.#order[(this.#next + i) % this.#order.length] as ModelQueue;
      if (queue.items.length > 0) {
        this.#next = (this.#next + i + 1) % this.#order.length;
        return queue;
      }
    }
    return undefined;
  }

  /** Takes the oldest items whose rows fit in one run (always at least one). */
  #take(queue: ModelQueue): Waiting[] {
    let rows = 0;
    let count = 0;
    for (const item of queue.items) {
      if (count > 0 && rows + item.prepared.rows > queue.maxRows) break;
      rows += item.prepared.rows;
      count++;
    }
    const batch = queue.items.splice(0, count);
    for (const item of batch) item.signal?.removeEventListener('abort', item.onAbort);
    return batch;
  }

  async #dispatch(model: string, batch: readonly Waiting[]): Promise<void> {
    try {
      const task = { model, items: batch.map((w) => w.prepared.input), returnTensors: batch.map((w) => w.returnTensors) };
      const result = await this.#pool.run(task, batch.flatMap((w) => w.prepared.transfer));
      batch.forEach((waiting, i) => waiting.finish(toOutcome(result.items[i], result.startedAt, waiting)));
    } catch (err: unknown) {
      const error = err instanceof SluiceError ? err : new SluiceError('INTERNAL', 'inference failed', { cause: err });
      this.#logger.error({ err, model, items: batch.length }, 'task failed');
      for (const waiting of batch) waiting.finish({ ok: false, error, timings: zeroTimings(waiting.acceptedAt) });
    } finally {
      this.#running--;
      this.#pump();
      this.#notifyIfIdle();
    }
  }
}

function toOutcome(result: ItemResult | undefined, startedAt: number, waiting: Waiting): ItemOutcome {
  if (result === undefined) {
    return { ok: false, error: new SluiceError('INTERNAL', 'the worker returned no result for the item'), timings: zeroTimings(waiting.acceptedAt) };
  }
  const timings: Timings = {
    queueUs: micros(startedAt - waiting.acceptedAt),
    preprocessUs: result.timings.preprocessUs,
    inferenceUs: result.timings.inferenceUs,
    postprocessUs: result.timings.postprocessUs,
    totalUs: micros(now() - waiting.acceptedAt),
  };
  if (!result.ok) return { ok: false, error: fromErrorData(result), timings };
  if (waiting.signal?.aborted === true) {
    return { ok: false, error: new SluiceError('CANCELLED', 'the item was cancelled'), timings };
  }
  return { ok: true, prediction: result.prediction, timings, batchSize: result.batchSize };
}
