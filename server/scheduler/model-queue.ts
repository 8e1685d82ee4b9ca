/**
 * One model's waiting room: a bounded FIFO of items, how many runs of the model may be out at
 * once, and when the items waiting should go (at once, or after holding them back to fill a
 * batch, as the model's dynamic batching says).
 *
 * The FIFO is an intrusive doubly linked list through the items themselves, so that withdrawing
 * any item (a drop, an expiry, a cancellation) is O(1) whatever the queue's length. A queue
 * lives as long as its model is served: a reload only changes its limits, so items never exist in
 * two queues.
 */
import type { LoadedModel } from '../repository/load-model.js';
import type { ItemLine, WorkItem } from './work-item.js';

/**
 * Runs shorter than this (wall time, hand-off included) cost about what handing them to a worker
 * costs: a model whose runs are this short fills batches rather than spreading items thin.
 */
const SHORT_RUN_MS = 1;
/** Weight of the newest run in the running average of run times. */
const RUN_TIME_WEIGHT = 0.2;

/** Limits of a queue from the server's defaults. */
export interface ModelQueueLimits {
  readonly maxSize: number;
  readonly maxConcurrentRuns: number;
}

export class ModelQueue implements ItemLine {
  readonly name: string;
  /** Most rows in one run. */
  maxRows = 1;
  maxSize = 0;
  maxConcurrentRuns = 1;
  /** Runs of this model out in workers. */
  running = 0;
  /** Timer that wakes the scheduler when held-back items must go. */
  timer: NodeJS.Timeout | undefined;
  #delayMs = 0;
  #preferred: ReadonlySet<number> = new Set();
  /** Running average of this model's run times (ms), hand-off to the worker and back included. */
  #runMs = Number.POSITIVE_INFINITY;
  #head: WorkItem | undefined;
  #tail: WorkItem | undefined;
  #length = 0;

  constructor(model: LoadedModel, limits: ModelQueueLimits) {
    this.name = model.name;
    this.configure(model, limits);
  }

  /** Applies the (re)loaded model's limits; items waiting stay, in order. */
  configure(model: LoadedModel, limits: ModelQueueLimits): void {
    const config = model.config;
    this.maxRows = Math.max(1, config.maxBatchSize);
    this.maxSize = config.maxQueueSize > 0 ? config.maxQueueSize : limits.maxSize;
    const instances = config.instances > 0 ? config.instances : limits.maxConcurrentRuns;
    this.maxConcurrentRuns = Math.min(instances, limits.maxConcurrentRuns);
    this.#delayMs = this.maxRows > 1 ? (config.dynamicBatching?.maxQueueDelayUs ?? 0) / 1000 : 0;
    this.#preferred = new Set(config.dynamicBatching?.preferredBatchSize ?? []);
  }

  /** Items waiting. */
  get length(): number {
    return this.#length;
  }

  /**
   * True when another run may start. A model that batches and whose runs are short starts a run
   * beside one already out only for a full batch: the items waiting meanwhile join the next
   * batch instead of costing a hand-off each.
   */
  get canRun(): boolean {
    if (this.#length === 0 || this.running >= this.maxConcurrentRuns) return false;
    if (this.running === 0 || this.maxRows === 1 || this.#runMs >= SHORT_RUN_MS) return true;
    return this.#rowsWaiting() >= this.maxRows;
  }

  /** Records how long a run took, hand-off included. */
  recordRun(ms: number): void {
    this.#runMs = Number.isFinite(this.#runMs) ? this.#runMs + RUN_TIME_WEIGHT * (ms - this.#runMs) : ms;
  }

  /** Appends a waiting item. */
  push(item: WorkItem): void {
    item.line = this;
    item.prev = this.#tail;
    item.next = undefined;
    if (this.#tail === undefined) this.#head = item;
    else this.#tail.next = item;
    this.#tail = item;
    this.#length++;
  }

  unlink(item: WorkItem): void {
    if (item.line !== this) return;
    if (item.prev === undefined) this.#head = item.next;
    else item.prev.next = item.next;
    if (item.next === undefined) this.#tail = item.prev;
    else item.next.prev = item.prev;
    item.line = undefined;
    item.prev = undefined;
    item.next = undefined;
    this.#length--;
  }

  /** Takes every waiting item out, oldest first (for an unload). */
  drain(): WorkItem[] {
    const all: WorkItem[] = [];
    while (this.#head !== undefined) {
      const item = this.#head;
      this.unlink(item);
      all.push(item);
    }
    return all;
  }

  /**
   * When the waiting items should go: 0 for now, or the time to wait in ms while a batch fills.
   * Items go at once when a full or preferred batch is waiting, or when the oldest has been held
   * for the model's max queue delay.
   */
  holdFor(now: number): number {
    const oldest = this.#head;
    if (oldest === undefined || this.#delayMs === 0) return 0;
    const rows = this.#rowsWaiting();
    if (rows >= this.maxRows || this.#preferred.has(rows)) return 0;
    return Math.max(0, oldest.acceptedAt + this.#delayMs - now);
  }

  /** Takes the oldest items whose rows fit in one run (always at least one). */
  take(): WorkItem[] {
    const batch: WorkItem[] = [];
    let rows = 0;
    while (this.#head !== undefined) {
      const item = this.#head;
      if (batch.length > 0 && rows + item.prepared.rows > this.maxRows) break;
      rows += item.prepared.rows;
      this.unlink(item);
      batch.push(item);
    }
    return batch;
  }

  #rowsWaiting(): number {
    let rows = 0;
    for (let item = this.#head; item !== undefined && rows < this.maxRows; item = item.next) rows += item.prepared.rows;
    return rows;
  }
}
