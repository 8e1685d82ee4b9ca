/**
 * The scheduler between request handlers and the worker pool. Each model has a bounded queue
 * (`ModelQueue`); whenever a worker is free, the next model in turn whose items are due sends
 * them, up to its `max_batch_size` rows, as one task. No more tasks are out than there are
 * workers, so items wait where they can still be cancelled, withdrawn, expired or batched.
 */
import type { Logger } from 'pino';
import type { Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError, fromErrorData } from '../errors.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ItemResult } from '../worker/task.js';
import { ModelQueue, type Waiting } from './model-queue.js';
import { type ItemOutcome, type PreparedInput, type ScheduledItem, type SubmitOptions, now } from './work-item.js';

/** Options of the scheduler. */
export interface SchedulerOptions {
  /** Items waiting per model before new ones are refused with QUEUE_FULL, unless the model says. */
  readonly maxQueueSize: number;
  readonly logger: Logger;
}

const micros = (ms: number): number => Math.max(0, Math.round(ms * 1000));

function waitedOnly(acceptedAt: number): Timings {
  const waited = micros(now() - acceptedAt);
  return { queueUs: waited, preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: waited };
}

const failed = (error: SluiceError, acceptedAt: number): ItemOutcome => ({ ok: false, error, timings: waitedOnly(acceptedAt) });

export class Scheduler {
  #pool: WorkerPool;
  readonly #queues = new Map<string, ModelQueue>();
  #order: ModelQueue[] = [];
  readonly #maxQueueSize: number;
  readonly #logger: Logger;
  #next = 0;
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(repository: ModelRepository, pool: WorkerPool, options: SchedulerOptions) {
    this.#pool = pool;
    this.#maxQueueSize = options.maxQueueSize;
    this.#logger = options.logger.child({ component: 'scheduler' });
    this.syncModels(repository);
  }

  /**
   * Sends later runs to `pool`. Runs already out finish in the pool they started in, on the model
   * version it holds.
   */
  replacePool(pool: WorkerPool): void {
    this.#pool = pool;
    this.#pump();
  }

  /**
   * Matches the queues to the repository's ONNX models: new models get a queue; a reloaded model
   * keeps its waiting items under its new limits; a model gone from the repository answers its
   * waiting items UNAVAILABLE.
   */
  syncModels(repository: ModelRepository): void {
    const order: ModelQueue[] = [];
    for (const model of repository.list()) {
      if (model.spec === undefined) continue;
      const queue = new ModelQueue(model, { maxSize: this.#maxQueueSize, maxConcurrentRuns: this.#pool.size });
      const previous = this.#queues.get(model.name);
      if (previous !== undefined) {
        clearTimeout(previous.timer);
        queue.items.push(...previous.items);
        queue.running = previous.running;
      }
      order.push(queue);
    }
    const kept = new Set(order.map((q) => q.name));
    for (const [name, queue] of this.#queues) {
      if (kept.has(name)) continue;
      clearTimeout(queue.timer);
      const gone = new SluiceError('UNAVAILABLE', `model ${name} was unloaded before the item could run`);
      for (const waiting of queue.items.splice(0)) waiting.finish(failed(gone, waiting.acceptedAt));
    }
    this.#queues.clear();
    for (const queue of order) this.#queues.set(queue.name, queue);
    this.#order = order;
    this.#next = 0;
    this.#pump();
    this.#notifyIfIdle();
  }

  /** Items waiting in every queue. */
  get queued(): number {
    return this.#order.reduce((sum, q) => sum + q.items.length, 0);
  }

  /** Items waiting, per model. */
  queueDepths(): ReadonlyMap<string, number> {
    return new Map(this.#order.map((q) => [q.name, q.items.length]));
  }

  /**
   * Queues one item for `model`. Its outcome never rejects: a full queue, a cancellation, an
   * expired deadline or a worker failure all come back as an outcome with an error.
   */
  submit(model: string, prepared: PreparedInput, options: SubmitOptions = {}): ScheduledItem {
    const acceptedAt = now();
    const queue = this.#queues.get(model);
    const refuse = (error: SluiceError): ScheduledItem => ({ outcome: Promise.resolve(failed(error, acceptedAt)), withdraw: () => false });
    if (queue === undefined) return refuse(new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(model)} is not in the repository`));
    const { signal, deadline } = options;
    if (signal?.aborted === true) return refuse(new SluiceError('CANCELLED', 'the item was cancelled'));
    if (deadline !== undefined && deadline <= acceptedAt) return refuse(expired(acceptedAt));
    if (queue.items.length >= queue.maxSize) {
      return refuse(new SluiceError('QUEUE_FULL', `model ${model} has ${queue.items.length} items waiting, the most it queues`));
    }

    let settle: (outcome: ItemOutcome) => void = () => undefined;
    const outcome = new Promise<ItemOutcome>((resolve) => {
      settle = resolve;
    });
    let done = false;
    let expiry: NodeJS.Timeout | undefined;
    const takeBack = (error: SluiceError): boolean => {
      if (!queue.remove(waiting)) return false;
      waiting.finish(failed(error, acceptedAt));
      this.#notifyIfIdle();
      return true;
    };
    const onAbort = (): void => void takeBack(new SluiceError('CANCELLED', 'the item was cancelled'));
    const waiting: Waiting = {
      prepared,
      returnTensors: options.returnTensors === true,
      cropHeight: options.cropHeight ?? 0,
      thumbnailWidth: options.thumbnailWidth ?? 0,
      acceptedAt,
      deadline,
      signal,
      finish: (result) => {
        if (done) return;
        done = true;
        clearTimeout(expiry);
        signal?.removeEventListener('abort', onAbort);
        settle(result);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== undefined) {
      expiry = setTimeout(() => takeBack(expired(acceptedAt)), deadline - acceptedAt);
      expiry.unref();
    }
    queue.items.push(waiting);
    this.#pump();
    return { outcome, withdraw: takeBack };
  }

  /** Resolves when no item is waiting or running. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops the batching timers; items still waiting stay until answered or withdrawn. */
  close(): void {
    for (const queue of this.#order) clearTimeout(queue.timer);
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

  /** Sends due work while workers are free, visiting models in turn so that none starves. */
  #pump(): void {
    while (this.#running < this.#pool.size) {
      const queue = this.#nextDue();
      if (queue === undefined) return;
      const batch = queue.take();
      queue.running++;
      this.#running++;
      void this.#dispatch(queue, batch);
    }
  }

  /** The next queue, in turn, that may run now; arms a timer for queues holding items back. */
  #nextDue(): ModelQueue | undefined {
    const at = now();
    for (let i = 0; i < this.#order.length; i++) {
      const index = (this.#next + i) % this.#order.length;
      const queue = this.#order[index] as ModelQueue;
      if (!queue.canRun) continue;
      const hold = queue.holdFor(at);
      if (hold > 0) {
        if (queue.timer === undefined) {
          queue.timer = setTimeout(() => {
            queue.timer = undefined;
            this.#pump();
          }, hold);
          queue.timer.unref();
        }
        continue;
      }
      this.#next = (index + 1) % this.#order.length;
      return queue;
    }
    return undefined;
  }

  async #dispatch(queue: ModelQueue, batch: readonly Waiting[]): Promise<void> {
    // The pool of the moment: a reload swaps pools, and this run stays on the version it began on.
    const pool = this.#pool;
    // Items whose deadline passed while they waited are answered and never run.
    const started = now();
    const live = batch.filter((w) => {
      if (w.deadline === undefined || w.deadline > started) return true;
      w.finish(failed(expired(w.acceptedAt), w.acceptedAt));
      return false;
    });
    try {
      if (live.length > 0) {
        const task = {
          model: queue.name,
          items: live.map((w) => w.prepared.input),
          returnTensors: live.map((w) => w.returnTensors),
          cropHeights: live.map((w) => w.cropHeight),
          thumbnailWidths: live.map((w) => w.thumbnailWidth),
        };
        const result = await pool.run(task, live.flatMap((w) => w.prepared.transfer));
        live.forEach((waiting, i) => waiting.finish(toOutcome(result.items[i], result.startedAt, waiting)));
      }
    } catch (err: unknown) {
      const error = err instanceof SluiceError ? err : new SluiceError('INTERNAL', 'inference failed', { cause: err });
      this.#logger.error({ err, model: queue.name, items: live.length }, 'task failed');
      for (const waiting of live) waiting.finish(failed(error, waiting.acceptedAt));
    } finally {
      const current = this.#queues.get(queue.name);
      if (current !== undefined) current.running = Math.max(0, current.running - 1);
      this.#running--;
      this.#pump();
      this.#notifyIfIdle();
    }
  }
}

function expired(acceptedAt: number): SluiceError {
  return new SluiceError('DEADLINE_EXCEEDED', `the item waited ${((now() - acceptedAt) / 1000).toFixed(3)} s and its deadline passed before it could run`);
}

function toOutcome(result: ItemResult | undefined, startedAt: number, waiting: Waiting): ItemOutcome {
  if (result === undefined) return failed(new SluiceError('INTERNAL', 'the worker returned no result for the item'), waiting.acceptedAt);
  const timings: Timings = {
    queueUs: micros(startedAt - waiting.acceptedAt),
    preprocessUs: result.timings.preprocessUs,
    inferenceUs: result.timings.inferenceUs,
    postprocessUs: result.timings.postprocessUs,
    totalUs: micros(now() - waiting.acceptedAt),
  };
  if (!result.ok) return { ok: false, error: fromErrorData(result), timings };
  if (waiting.signal?.aborted === true) return { ok: false, error: new SluiceError('CANCELLED', 'the item was cancelled'), timings };
  return { ok: true, prediction: result.prediction, timings, batchSize: result.batchSize, crops: result.crops, thumbnail: result.thumbnail };
}
