/**
 * One model's waiting room: a bounded FIFO of items, how many runs of the model may be out at
 * once, and when the items waiting should go (at once, or after holding them back to fill a
 * batch, as the model's dynamic batching says).
 */
import type { LoadedModel } from '../repository/load-model.js';
import type { PreparedInput } from './work-item.js';
import type { ItemOutcome } from './work-item.js';

/** An item in a queue. */
export interface Waiting {
  readonly prepared: PreparedInput;
  readonly returnTensors: boolean;
  readonly cropHeight: number;
  readonly thumbnailWidth: number;
  /** When the item was accepted, in `performance.timeOrigin + performance.now()` ms. */
  readonly acceptedAt: number;
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Settles the item's outcome and releases its listeners and timers. Idempotent. */
  readonly finish: (outcome: ItemOutcome) => void;
}

/** Limits of a queue, from the model's config and the server's defaults. */
export interface ModelQueueLimits {
  readonly maxSize: number;
  readonly maxConcurrentRuns: number;
}

export class ModelQueue {
  readonly name: string;
  /** Most rows in one run. */
  readonly maxRows: number;
  readonly maxSize: number;
  readonly maxConcurrentRuns: number;
  readonly #delayMs: number;
  readonly #preferred: ReadonlySet<number>;
  readonly items: Waiting[] = [];
  /** Runs of this model out in workers. */
  running = 0;
  /** Timer that wakes the scheduler when held-back items must go. */
  timer: NodeJS.Timeout | undefined;

  constructor(model: LoadedModel, limits: ModelQueueLimits) {
    const config = model.config;
    this.name = model.name;
    this.maxRows = Math.max(1, config.maxBatchSize);
    this.maxSize = config.maxQueueSize > 0 ? config.maxQueueSize : limits.maxSize;
    const instances = config.instances > 0 ? config.instances : limits.maxConcurrentRuns;
    this.maxConcurrentRuns = Math.min(instances, limits.maxConcurrentRuns);
    this.#delayMs = this.maxRows > 1 ? (config.dynamicBatching?.maxQueueDelayUs ?? 0) / 1000 : 0;
    this.#preferred = new Set(config.dynamicBatching?.preferredBatchSize ?? []);
  }

  /** True when another run may start. */
  get canRun(): boolean {
    return this.items.length > 0 && this.running < this.maxConcurrentRuns;
  }

  /**
   * When the waiting items should go: 0 for now, or the time to wait in ms while a batch fills.
   * Items go at once when a full or preferred batch is waiting, or when the oldest has been held
   * for the model's max queue delay.
   */
  holdFor(now: number): number {
    const oldest = this.items[0];
    if (oldest === undefined || this.#delayMs === 0) return 0;
    const rows = this.#rowsWaiting();
    if (rows >= this.maxRows || this.#preferred.has(rows)) return 0;
    return Math.max(0, oldest.acceptedAt + this.#delayMs - now);
  }

  /** Takes the oldest items whose rows fit in one run (always at least one). */
  take(): Waiting[] {
    let rows = 0;
    let count = 0;
    for (const item of this.items) {
      if (count > 0 && rows + item.prepared.rows > this.maxRows) break;
      rows += item.prepared.rows;
      count++;
    }
    return this.items.splice(0, count);
  }

  /** Removes `item` if it is still waiting; true when it was. */
  remove(item: Waiting): boolean {
    const at = this.items.indexOf(item);
    if (at === -1) return false;
    this.items.splice(at, 1);
    return true;
  }

  #rowsWaiting(): number {
    let rows = 0;
    for (const item of this.items) {
      rows += item.prepared.rows;
      if (rows >= this.maxRows) break;
    }
    return rows;
  }
}
