/**
 * An item on its way through the scheduler, and the outcome it always ends with.
 */
import { performance } from 'node:perf_hooks';
import type { Prediction, Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceError } from '../errors.js';
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
  /** Cancels the item while it waits; a running item finishes and its outcome is CANCELLED. */
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

/** An item handed to the scheduler. */
export interface ScheduledItem {
  /** Settles exactly once, never rejects. */
  readonly outcome: Promise<ItemOutcome>;
  /**
   * Takes the item back if it has not started: its outcome becomes `error` and true is returned.
   * Returns false once a worker has it.
   */
  withdraw(error: SluiceError): boolean;
}

/** An input ready for a worker: the buffers it owns are moved, not copied, to the worker. */
export interface PreparedInput {
  readonly input: ItemInput;
  /** Rows the item adds to a batch (its first dimension for tensors, 1 for an image). */
  readonly rows: number;
  /** Buffers owned by this item alone, transferred with the task. */
  readonly transfer: readonly ArrayBuffer[];
}
