/**
 * Per-item statistics of a Sluice run: end-to-end latency as the client sees it, the server's own
 * inference time, and the overhead between them (end-to-end minus `timings.inference_us`, i.e.
 * transport, protobuf, queueing, scheduling, thread hops and postprocessing).
 */
import type { PredictResponse } from '../gen/ts/sluice/v1/inference_service.js';
import { LatencyRecorder, type LatencySummary } from '../client/metrics/latency-recorder.js';
import { type ResourceUsage, UsageWindow, selfCpuWindow } from './proc-stats.js';

/** Summary of the items of one run. */
export interface ItemSummary {
  readonly predictions: number;
  readonly errors: number;
  /** The first error's code and message, to make a broken run obvious. */
  readonly firstError: string | undefined;
  readonly dropped: number;
  /** End-to-end latency of answered items (predictions). */
  readonly latency: LatencySummary;
  /** Server-reported inference time of the run that served each item. */
  readonly inference: LatencySummary;
  /** End-to-end latency minus server-reported inference time. */
  readonly overhead: LatencySummary;
  /** Mean `batch_size` the items ran in. */
  readonly meanBatch: number;
}

/** Accumulates responses. */
export class ItemStats {
  readonly #latency = new LatencyRecorder();
  readonly #inference = new LatencyRecorder();
  readonly #overhead = new LatencyRecorder();
  #predictions = 0;
  #errors = 0;
  #firstError: string | undefined;
  #dropped = 0;
  #batchSum = 0;

  /** Records one answer that took `latencyMs` from write to read. */
  add(response: PredictResponse, latencyMs: number): void {
    const result = response.result;
    if (result?.$case === 'dropped') {
      this.#dropped++;
      return;
    }
    if (result?.$case !== 'prediction') {
      this.addError(result?.$case === 'error' ? `${result.value.code} ${result.value.message}` : 'response without a result');
      return;
    }
    this.#predictions++;
    this.#batchSum += response.batchSize;
    const inferenceMs = (response.timings?.inferenceUs ?? 0) / 1000;
    this.#latency.recordMs(latencyMs);
    this.#inference.recordMs(inferenceMs);
    this.#overhead.recordMs(latencyMs - inferenceMs);
  }

  /** Records an item that failed. */
  addError(message: string): void {
    this.#errors++;
    this.#firstError ??= message;
  }

  /** Counts and distributions of everything added so far. */
  summary(): ItemSummary {
    return {
      predictions: this.#predictions,
      errors: this.#errors,
      firstError: this.#firstError,
      dropped: this.#dropped,
      latency: this.#latency.summary(),
      inference: this.#inference.summary(),
      overhead: this.#overhead.summary(),
      meanBatch: this.#predictions > 0 ? this.#batchSum / this.#predictions : 0,
    };
  }
}

/** Server and load-generator CPU over a measured part of a run. */
export interface Measured {
  readonly server: ResourceUsage;
  readonly loadCpuCores: number;
}

/** Opens measuring windows on the server process and on this one; `end()` closes both. */
export function startMeasuring(serverPid: number): () => Measured {
  const usage = new UsageWindow(serverPid);
  const loadCpu = selfCpuWindow();
  return () => ({ server: usage.close(), loadCpuCores: loadCpu() });
}
