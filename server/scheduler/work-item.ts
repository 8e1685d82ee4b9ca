/**
 * An item on its way through the scheduler. The item carries its own state (waiting, running,
 * answered), so that every way it can end (a result, a withdrawal, a drop, an expiry, a
 * cancellation, an unload, a worker failure, a shutdown) goes through one guarded transition and
 * the item is answered exactly once, and nothing withdrawn ever runs.
 */
import { performance } from 'node:perf_hooks';
import type { Prediction, Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import type { ImageData, ItemInput, Thumbnail } from '../worker/task.js';

/**
 * The clock every item's times are taken on: `performance.timeOrigin + performance.now()`, in
 * milliseconds, which reads the same in the main thread and in workers.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** What a scheduled item ends with: exactly one of these, exactly once. */
export type ItemOutcome =
  | {
      readonly ok: true;
      readonly prediction: Prediction;
      readonly timings: Timings;
      readonly batchSize: number;
      /** Crops of the detections, when `cropHeight` asked for them. */
      readonly crops?: readonly ImageData[];
      /** The display image, when `thumbnailWidth` asked for one. */
      readonly thumbnail?: Thumbnail;
    }
  | { readonly ok: false; readonly error: SluiceError; readonly timings: Timings };

/** Options of `Scheduler.submit`. */
export interface SubmitOptions {
  /** Also return output tensors when the model has a postprocessor. */
  readonly returnTensors?: boolean;
  /** Cancels the item: withdrawn while it waits; a running item's outcome becomes CANCELLED. */
  readonly signal?: AbortSignal;
  /**
   * Time (on `now()`'s clock) by which the item must have started;
   * after it the item is answered DEADLINE_EXCEEDED and never runs.
   */
  readonly deadline?: number;
  /** Cut each detection out of the original image at this height, for pipelines (0: no). */
  readonly cropHeight?: number;
  /** Also make a JPEG of the image at most this wide, for watchers (0: no). */
  readonly thumbnailWidth?: number;
}

/** An item handed to the scheduler or a pipeline, as its submitter sees it. */
export interface ScheduledItem {
  /** Settles exactly once, never rejects. */
  readonly outcome: Promise<ItemOutcome>;
  /**
   * Takes the item back if no work on it has started: its outcome becomes `error` and true is
   * returned. Returns false once a worker has it.
   */
  withdraw(error: SluiceError): boolean;
  /**
   * The submitter no longer wants the item: withdrawn while it waits; once running, its result is
   * discarded and its outcome is CANCELLED. Idempotent.
   */
  cancel(): void;
}

/**
 * An input ready for a worker. `owned` is the buffer behind the input's bytes when it belongs to
 * this item alone (a received message's own buffer, a crop from a worker): it moves to the
 * worker without a copy. Otherwise the bytes are views into memory shared with others (small
 * messages live in Node's buffer pool) and are copied once, with the rest of the run, at dispatch.
 */
export interface PreparedInput {
  readonly input: ItemInput;
  /** Rows the item adds to a batch (its first dimension for tensors, 1 for an image). */
  readonly rows: number;
  /** Bytes of the input, for the byte budget. */
  readonly bytes: number;
  readonly owned: ArrayBuffer | undefined;
}

/** Where an item is. Transitions: waiting -> running -> answered, or waiting -> answered. */
export type ItemState = 'waiting' | 'running' | 'answered';

/** Milliseconds on `now()`'s clock as whole microseconds, never negative. */
export const micros = (ms: number): number => Math.max(0, Math.round(ms * 1000));

/** Timings of an item that never ran: it only waited. */
function waitedOnly(acceptedAt: number): Timings {
  const waited = micros(now() - acceptedAt);
  return { queueUs: waited, preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: waited };
}

/** The outcome of an item that failed before or without running. */
export function failed(error: SluiceError, acceptedAt: number): ItemOutcome {
  return { ok: false, error, timings: waitedOnly(acceptedAt) };
}

/** What a queue offers its items: taking one out of line in O(1). */
export interface ItemLine {
  unlink(item: WorkItem): void;
}

/** One item inside the scheduler. */
export class WorkItem implements ScheduledItem {
  readonly model: string;
  readonly prepared: PreparedInput;
  readonly returnTensors: boolean;
  readonly cropHeight: number;
  readonly thumbnailWidth: number;
  readonly acceptedAt: number;
  readonly deadline: number | undefined;
  readonly outcome: Promise<ItemOutcome>;
  /** Links of the queue the item waits in (an intrusive list: O(1) removal). */
  line: ItemLine | undefined;
  prev: WorkItem | undefined;
  next: WorkItem | undefined;
  #state: ItemState = 'waiting';
  #cancelled = false;
  #settle: (outcome: ItemOutcome) => void = () => undefined;
  #expiry: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #onAnswered: ((item: WorkItem) => void) | undefined;

  constructor(model: string, prepared: PreparedInput, options: SubmitOptions, acceptedAt: number) {
    this.model = model;
    this.prepared = prepared;
    this.returnTensors = options.returnTensors === true;
    this.cropHeight = options.cropHeight ?? 0;
    this.thumbnailWidth = options.thumbnailWidth ?? 0;
    this.acceptedAt = acceptedAt;
    this.deadline = options.deadline;
    this.outcome = new Promise<ItemOutcome>((resolve) => {
      this.#settle = resolve;
    });
  }

  get state(): ItemState {
    return this.#state;
  }

  /**
   * Arms the item's deadline and cancellation signal; `onAnswered` runs once the item is answered
   * by any path (the scheduler uses it to release the item's queue slot and its listeners).
   */
  arm(signal: AbortSignal | undefined, onAnswered: (item: WorkItem) => void): void {
    this.#onAnswered = onAnswered;
    if (this.deadline !== undefined) {
      this.#expiry = setTimeout(() => this.withdraw(expired(this.acceptedAt)), Math.max(0, this.deadline - this.acceptedAt));
      this.#expiry.unref();
    }
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => this.cancel();
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  withdraw(error: SluiceError): boolean {
    if (this.#state !== 'waiting') return false;
    this.line?.unlink(this);
    this.answer(failed(error, this.acceptedAt));
    return true;
  }

  cancel(): void {
    this.#cancelled = true;
    this.withdraw(new SluiceError('CANCELLED', 'the item was cancelled'));
  }

  /** waiting -> running; false when the item is no longer waiting (it must not run). */
  start(): boolean {
    if (this.#state !== 'waiting') return false;
    this.#state = 'running';
    clearTimeout(this.#expiry);
    return true;
  }

  /** Settles the item's outcome; false (and nothing happens) when it was already answered. */
  answer(outcome: ItemOutcome): boolean {
    if (this.#state === 'answered') return false;
    this.#state = 'answered';
    clearTimeout(this.#expiry);
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
    const cancelledWhileRunning = this.#cancelled && outcome.ok;
    this.#settle(cancelledWhileRunning ? { ok: false, error: new SluiceError('CANCELLED', 'the item was cancelled'), timings: outcome.timings } : outcome);
    this.#onAnswered?.(this);
    return true;
  }
}

/** The error of an item whose deadline passed before it could start. */
export function expired(acceptedAt: number): SluiceError {
  return new SluiceError('DEADLINE_EXCEEDED', `the item waited ${((now() - acceptedAt) / 1000).toFixed(3)} s and its deadline passed before it could run`);
}
