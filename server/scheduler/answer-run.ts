/**
 * The end of a run: each item sent in it is answered from the worker's result, and the run is
 * reported for metrics. It runs once per run on the dispatch path, so it stays a plain loop and
 * builds the report only when someone listens.
 */
import type { Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError, fromErrorData } from '../errors.js';
import type { InferTaskResult, ItemResult } from '../worker/task.js';
import { type ItemOutcome, type WorkItem, failed, micros, now } from './work-item.js';

/** What a finished run reports, for metrics. */
export interface RunReport {
  readonly model: string;
  /** Items the run answered. */
  readonly items: number;
  /** onnxruntime time of the run, in microseconds. */
  readonly inferenceUs: number;
  /** Time the worker spent preparing the run's inputs (its items' preprocessing), in microseconds. */
  readonly preprocessUs: number;
  /** Time the worker spent on the run's outputs (its items' postprocessing), in microseconds. */
  readonly postprocessUs: number;
}

/**
 * Answers `items`, the items one run of `model` was sent with, from the worker's `result` (the
 * i-th result answers the i-th item), then calls `onRun` if the model ran at all.
 */
export function answerRun(model: string, items: readonly WorkItem[], result: InferTaskResult, onRun: ((report: RunReport) => void) | undefined): void {
  let inferenceUs = 0;
  let preprocessUs = 0;
  let postprocessUs = 0;
  // Items the model ran: every answered item reports the size of the run it was part of;
  // items that failed before it (an undecodable image) were not in it.
  let ran = 0;
  for (let i = 0; i < items.length; i++) {
    const itemResult = result.items[i];
    if (itemResult?.ok === true) ran = Math.max(ran, itemResult.batchSize);
    inferenceUs = Math.max(inferenceUs, itemResult?.timings.inferenceUs ?? 0);
    // A worker prepares and finishes the items of a run one after another: their times add up.
    preprocessUs += itemResult?.timings.preprocessUs ?? 0;
    postprocessUs += itemResult?.timings.postprocessUs ?? 0;
    (items[i] as WorkItem).answer(toOutcome(itemResult, result.startedAt, items[i] as WorkItem));
  }
  if (ran > 0) onRun?.({ model, items: ran, inferenceUs, preprocessUs, postprocessUs });
}

function toOutcome(result: ItemResult | undefined, startedAt: number, item: WorkItem): ItemOutcome {
  if (result === undefined) return failed(new SluiceError('INTERNAL', 'the worker returned no result for the item'), item.acceptedAt);
  const timings: Timings = {
    queueUs: micros(startedAt - item.acceptedAt),
    preprocessUs: result.timings.preprocessUs,
    inferenceUs: result.timings.inferenceUs,
    postprocessUs: result.timings.postprocessUs,
    totalUs: micros(now() - item.acceptedAt),
  };
  if (!result.ok) return { ok: false, error: fromErrorData(result), timings };
  return { ok: true, prediction: result.prediction, timings, batchSize: result.batchSize, crops: result.crops, thumbnail: result.thumbnail };
}
