/**
 * Per-model statistics in the shape of the Open Inference Protocol's `ModelStatistics` RPC
 * (Triton's statistics extension): cumulative counts and durations of items and runs, kept for the
 * models the repository holds and nothing else.
 */
import type { InferBatchStatistics, ModelStatistics, StatisticDuration } from '../../gen/ts/inference/grpc_service.js';
import type { Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { RunReport } from '../scheduler/answer-run.js';

/** Every model is served at one version, and the protocol asks for one: this is it. */
export const MODEL_VERSION = '1';

/** What the collector needs of the repository: which models exist now. */
export type ModelNames = Pick<ModelRepository, 'get' | 'list'>;

/** A count and the time it took in all, in microseconds (a safe integer for centuries of time). */
interface Tally {
  count: number;
  us: number;
}

interface BatchTally {
  readonly computeInput: Tally;
  readonly computeInfer: Tally;
  readonly computeOutput: Tally;
}

interface ModelTally {
  lastInferenceMs: number;
  inferenceCount: number;
  executionCount: number;
  readonly success: Tally;
  readonly fail: Tally;
  readonly queue: Tally;
  readonly computeInput: Tally;
  readonly computeInfer: Tally;
  readonly computeOutput: Tally;
  /** By the number of items in the run; bounded by the scheduler's largest batch. */
  readonly batches: Map<number, BatchTally>;
}

/**
 * Counts and times every item and run of each model the repository holds. Items count once each
 * (an item of several tensor rows counts once); queue and compute times count successful items
 * only, as Triton does; a run counts once, whatever it held, and its times are the worker's for
 * the whole run. A pipeline's items count on the pipeline, its runs on its stage models.
 */
export class ModelStatisticsCollector {
  readonly #repository: ModelNames;
  readonly #models = new Map<string, ModelTally>();

  /** `repository` decides which names are models: any other name is never recorded. */
  constructor(repository: ModelNames) {
    this.#repository = repository;
  }

  /** Records an item answered with a prediction, with its timings. */
  recordSuccess(model: string, timings: Timings): void {
    const tally = this.#tallyOf(model);
    if (tally === undefined) return;
    tally.lastInferenceMs = Date.now();
    tally.inferenceCount++;
    add(tally.success, timings.totalUs);
    add(tally.queue, timings.queueUs);
    add(tally.computeInput, timings.preprocessUs);
    add(tally.computeInfer, timings.inferenceUs);
    add(tally.computeOutput, timings.postprocessUs);
  }

  /**
   * Records an item answered with an error, or withdrawn unanswered because its client went away
   * (then without `timings`: it counts with no time).
   */
  recordFailure(model: string, timings?: Timings): void {
    const tally = this.#tallyOf(model);
    if (tally === undefined) return;
    tally.lastInferenceMs = Date.now();
    add(tally.fail, timings?.totalUs ?? 0);
  }

  /** Records one run of a model, under the number of items it held. */
  recordRun(run: RunReport): void {
    const tally = this.#tallyOf(run.model);
    if (tally === undefined) return;
    tally.executionCount++;
    let batch = tally.batches.get(run.items);
    if (batch === undefined) {
      batch = { computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
      tally.batches.set(run.items, batch);
    }
    add(batch.computeInput, run.preprocessUs);
    add(batch.computeInfer, run.inferenceUs);
    add(batch.computeOutput, run.postprocessUs);
  }

  /**
   * Statistics of `name`, or of every model in the repository (sorted by name) when `name` is
   * empty or absent; a model with nothing recorded yet has zeros. MODEL_NOT_FOUND when `name` is
   * not in the repository.
   */
  snapshot(name = ''): ModelStatistics[] {
    if (name !== '') {
      if (this.#repository.get(name) === undefined) throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} is not in the repository`);
      return [toStatistics(name, this.#models.get(name))];
    }
    const names = this.#repository.list().map((m) => m.name);
    // Models unloaded since they were recorded go now, so that memory follows the repository.
    const held = new Set(names);
    for (const recorded of this.#models.keys()) if (!held.has(recorded)) this.#models.delete(recorded);
    return names.map((n) => toStatistics(n, this.#models.get(n)));
  }

  /** The tally of `model`, made on first use; undefined when the repository has no such model. */
  #tallyOf(model: string): ModelTally | undefined {
    let tally = this.#models.get(model);
    if (tally === undefined) {
      if (this.#repository.get(model) === undefined) return undefined;
      tally = {
        lastInferenceMs: 0,
        inferenceCount: 0,
        executionCount: 0,
        success: zero(),
        fail: zero(),
        queue: zero(),
        computeInput: zero(),
        computeInfer: zero(),
        computeOutput: zero(),
        batches: new Map(),
      };
      this.#models.set(model, tally);
    }
    return tally;
  }
}

function zero(): Tally {
  return { count: 0, us: 0 };
}

function add(tally: Tally, us: number): void {
  tally.count++;
  tally.us += us;
}

function toDuration(tally: Tally | undefined): StatisticDuration {
  // BigInt throws on a fraction, and a caller's timing need not be whole.
  return tally === undefined ? { count: 0n, ns: 0n } : { count: BigInt(tally.count), ns: BigInt(Math.round(tally.us)) * 1000n };
}

function toStatistics(name: string, tally: ModelTally | undefined): ModelStatistics {
  const batchStats: InferBatchStatistics[] = [...(tally?.batches ?? [])]
    .sort(([a], [b]) => a - b)
    .map(([size, batch]) => ({
      batchSize: BigInt(size),
      computeInput: toDuration(batch.computeInput),
      computeInfer: toDuration(batch.computeInfer),
      computeOutput: toDuration(batch.computeOutput),
    }));
  return {
    name,
    version: MODEL_VERSION,
    lastInference: BigInt(tally?.lastInferenceMs ?? 0),
    inferenceCount: BigInt(tally?.inferenceCount ?? 0),
    executionCount: BigInt(tally?.executionCount ?? 0),
    inferenceStats: {
      success: toDuration(tally?.success),
      fail: toDuration(tally?.fail),
      queue: toDuration(tally?.queue),
      computeInput: toDuration(tally?.computeInput),
      computeInfer: toDuration(tally?.computeInfer),
      computeOutput: toDuration(tally?.computeOutput),
      // Sluice has no response cache.
      cacheHit: toDuration(undefined),
      cacheMiss: toDuration(undefined),
    },
    batchStats,
  };
}
