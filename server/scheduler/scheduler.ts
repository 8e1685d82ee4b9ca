/**
 * The scheduler between request handlers and the worker pool. Each model has a bounded queue
 * (`ModelQueue`); whenever a worker is free, the next model in turn whose items are due sends
 * them, up to its `max_batch_size` rows, as one task. No more tasks are out than there are
 * workers, so items wait where they can still be cancelled, withdrawn, expired or batched.
 *
 * Every item's state lives on the item (`WorkItem`): the scheduler only moves it from waiting to
 * running and answers it; whatever else happens to it meanwhile goes through the same guarded
 * transitions, so an item is answered exactly once and a withdrawn item never runs.
 */
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import type { WorkerPool } from '../pool/worker-pool.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { type RunReport, answerRun } from './answer-run.js';
import { ModelQueue, type ModelQueueLimits } from './model-queue.js';
import { packRun } from './pack-run.js';
import { type PreparedInput, type SubmitOptions, WorkItem, expired, failed, now } from './work-item.js';

/** What the scheduler needs of a worker pool. */
export type TaskRunner = Pick<WorkerPool, 'size' | 'capacity' | 'run'>;

/** Options of the scheduler. */
export interface SchedulerOptions {
  /** Items waiting per model before new ones are refused with QUEUE_FULL, unless the model says. */
  readonly maxQueueSize: number;
  readonly logger: Logger;
  /** Called once per run that reached a worker. */
  readonly onRun?: (report: RunReport) => void;
}

export class Scheduler {
  #pool: TaskRunner;
  readonly #queues = new Map<string, ModelQueue>();
  #order: ModelQueue[] = [];
  readonly #maxQueueSize: number;
  readonly #logger: Logger;
  readonly #onRun: ((report: RunReport) => void) | undefined;
  /** Items running now, so that a forced stop can answer them. */
  readonly #runningItems = new Set<WorkItem>();
  #next = 0;
  #running = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #onAnswered = (item: WorkItem): void => {
    this.#runningItems.delete(item);
    this.#notifyIfIdle();
  };

  constructor(repository: ModelRepository, pool: TaskRunner, options: SchedulerOptions) {
    this.#pool = pool;
    this.#maxQueueSize = options.maxQueueSize;
    this.#logger = options.logger.child({ component: 'scheduler' });
    this.#onRun = options.onRun;
    this.syncModels(repository);
  }

  /**
   * Sends later runs to `pool`. Runs already out finish in the pool they started in, on the model
   * version it holds.
   */
  replacePool(pool: TaskRunner): void {
    this.#pool = pool;
    this.#pump();
  }

  /** Sends what may run now: for when the pool can take more runs (a run that timed out came back). */
  wake(): void {
    this.#pump();
  }

  /**
   * Matches the queues to the repository's ONNX models: new models get a queue; a reloaded model
   * keeps its queue, and its waiting items, under its new limits; a model gone from the repository
   * answers its waiting items UNAVAILABLE.
   */
  syncModels(repository: ModelRepository): void {
    const limits: ModelQueueLimits = { maxSize: this.#maxQueueSize, maxConcurrentRuns: this.#pool.size };
    const order: ModelQueue[] = [];
    for (const model of repository.list()) {
      if (model.spec === undefined) continue;
      const queue = this.#queues.get(model.name);
      if (queue === undefined) order.push(new ModelQueue(model, limits));
      else {
        queue.configure(model, limits);
        order.push(queue);
      }
    }
    const kept = new Set(order.map((q) => q.name));
    for (const [name, queue] of this.#queues) {
      if (kept.has(name)) continue;
      clearTimeout(queue.timer);
      const gone = new SluiceError('UNAVAILABLE', `model ${name} was unloaded before the item could run`);
      for (const item of queue.drain()) item.answer(failed(gone, item.acceptedAt));
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
    let sum = 0;
    for (const queue of this.#order) sum += queue.length;
    return sum;
  }

  /** Items waiting, per model. */
  queueDepths(): ReadonlyMap<string, number> {
    return new Map(this.#order.map((q) => [q.name, q.length]));
  }

  /**
   * Queues one item for `model`. Its outcome never rejects: a full queue, a cancellation, an
   * expired deadline or a worker failure all come back as an outcome with an error.
   */
  submit(model: string, prepared: PreparedInput, options: SubmitOptions = {}): WorkItem {
    const acceptedAt = now();
    const item = new WorkItem(model, prepared, options, acceptedAt);
    const queue = this.#queues.get(model);
    const refuse = (error: SluiceError): WorkItem => {
      item.answer(failed(error, acceptedAt));
      return item;
    };
    if (queue === undefined) return refuse(new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(model)} is not in the repository`));
    if (options.signal?.aborted === true) return refuse(new SluiceError('CANCELLED', 'the item was cancelled'));
    if (options.deadline !== undefined && options.deadline <= acceptedAt) return refuse(expired(acceptedAt));
    if (queue.length >= queue.maxSize) {
      return refuse(new SluiceError('QUEUE_FULL', `model ${model} has ${queue.length} items waiting, the most it queues`));
    }
    item.arm(options.signal, this.#onAnswered);
    queue.push(item);
    this.#pump();
    return item;
  }

  /** Resolves when no item is waiting or running. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Answers every item, waiting or running, with `error` at once: for a forced stop. Runs in
   * progress are abandoned, not interrupted: their results are discarded when they come back.
   */
  abandonAll(error: SluiceError): void {
    for (const queue of this.#order) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
      for (const item of queue.drain()) item.answer(failed(error, item.acceptedAt));
    }
    for (const item of [...this.#runningItems]) item.answer(failed(error, item.acceptedAt));
  }

  /** Runs out in workers now. */
  get runsInProgress(): number {
    return this.#running;
  }

  /** Stops the batching timers; items still waiting stay until answered or withdrawn. */
  close(): void {
    for (const queue of this.#order) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.queued === 0;
  }

  #notifyIfIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Sends due work while workers are free, visiting models in turn so that none starves. */
  #pump(): void {
    while (this.#running < this.#pool.capacity) {
      const queue = this.#nextDue();
      if (queue === undefined) return;
      const batch = queue.take();
      queue.running++;
      this.#running++;
      this.#dispatch(queue, batch).catch((err: unknown) => this.#dispatchFailed(queue, batch, err));
    }
  }

  /** The next queue, in turn, that may run now; arms a timer for queues holding items back. */
  #nextDue(): ModelQueue | undefined {
    const count = this.#order.length;
    if (count === 0) return undefined;
    const at = now();
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
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
      this.#next = (index + 1) % count;
      return queue;
    }
    return undefined;
  }

  /**
   * A dispatch that threw outside its own handling (a bug): its items are answered INTERNAL
   * (those already answered stay as they were).
   */
  #dispatchFailed(queue: ModelQueue, batch: readonly WorkItem[], err: unknown): void {
    this.#logger.error({ err, model: queue.name, items: batch.length }, 'dispatch failed');
    const error = new SluiceError('INTERNAL', 'inference failed', { cause: err });
    for (const item of batch) item.answer(failed(error, item.acceptedAt));
  }

  async #dispatch(queue: ModelQueue, batch: readonly WorkItem[]): Promise<void> {
    // The pool of the moment: a reload swaps pools, and this run stays on the version it began on.
    const pool = this.#pool;
    // Items whose deadline passed while they waited are answered and never run.
    const started = now();
    const live: WorkItem[] = [];
    for (const item of batch) {
      if (item.deadline !== undefined && item.deadline <= started) item.answer(failed(expired(item.acceptedAt), item.acceptedAt));
      else if (item.start()) {
        live.push(item);
        this.#runningItems.add(item);
      }
    }
    try {
      if (live.length > 0) {
        const packed = packRun(live.map((item) => item.prepared));
        const task = {
          model: queue.name,
          items: packed.inputs,
          returnTensors: live.map((item) => item.returnTensors),
          cropHeights: live.map((item) => item.cropHeight),
          thumbnailWidths: live.map((item) => item.thumbnailWidth),
        };
        const sentAt = now();
        const result = await pool.run(task, packed.transfer);
        queue.recordRun(now() - sentAt);
        answerRun(queue.name, live, result, this.#onRun);
      }
    } catch (err: unknown) {
      const error = err instanceof SluiceError ? err : new SluiceError('INTERNAL', 'inference failed', { cause: err });
      this.#logger.error({ err, model: queue.name, items: live.length }, 'task failed');
      for (const item of live) item.answer(failed(error, item.acceptedAt));
    } finally {
      queue.running = Math.max(0, queue.running - 1);
      this.#running--;
      this.#pump();
      this.#notifyIfIdle();
    }
  }
}
