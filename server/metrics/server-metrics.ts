/**
 * The server's Prometheus metrics, on a registry of their own. The hot path touches them through
 * children cached per model (no label lookups per item), and per-run figures (batch size,
 * inference time) are recorded once per run. Names follow Prometheus
 * conventions; what they cover follows Triton's `nv_inference_*` set: requests and items by model
 * and outcome, queue, inference and end-to-end time, batch sizes, queue depth, open streams,
 * in-flight items and worker utilisation, plus Node's process metrics. Calls and items are also
 * labelled by the protocol they came in by. Per-model statistics for the Open Inference Protocol
 * (`statistics`) are fed from the same calls.
 */
import { status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { RunReport } from '../scheduler/answer-run.js';
import { ModelStatisticsCollector, type ModelNames } from './model-statistics.js';

/** Live values read when Prometheus scrapes. */
export interface MetricsSources {
  readonly queueDepth: () => ReadonlyMap<string, number>;
  readonly openStreams: () => number;
  readonly inFlightItems: () => number;
  readonly inFlightBytes: () => number;
  readonly workerUtilization: () => number;
}

/**
 * The protocol an item came in by: `sluice` (sluice.v1), `kserve` (the Open Inference Protocol) or
 * `nats` (a NATS JetStream binding).
 */
export type Protocol = 'sluice' | 'kserve' | 'nats';

/** The RPCs counted in `sluice_requests_total`: sluice.v1's and the Open Inference Protocol's. */
export type CountedRpc =
  | 'Predict'
  | 'PredictOne'
  | 'Watch'
  | 'ServerLive'
  | 'ServerReady'
  | 'ModelReady'
  | 'ServerMetadata'
  | 'ModelMetadata'
  | 'ModelInfer'
  | 'ModelStreamInfer'
  | 'ModelConfig'
  | 'ModelStatistics'
  | 'RepositoryIndex'
  | 'RepositoryModelLoad'
  | 'RepositoryModelUnload';

/** Outcome label of an item, from its response. */
export type ItemOutcomeLabel = 'success' | 'dropped' | 'invalid' | 'not_found' | 'exhausted' | 'deadline' | 'cancelled' | 'unavailable' | 'internal';

const OUTCOME_OF_STATUS: ReadonlyMap<number, ItemOutcomeLabel> = new Map([
  [status.INVALID_ARGUMENT, 'invalid'],
  [status.NOT_FOUND, 'not_found'],
  [status.RESOURCE_EXHAUSTED, 'exhausted'],
  [status.DEADLINE_EXCEEDED, 'deadline'],
  [status.CANCELLED, 'cancelled'],
  [status.UNAVAILABLE, 'unavailable'],
]);

/** Every metric name the server exports (besides Node's defaults), for docs and dashboards. */
export const METRIC_NAMES = [
  'sluice_requests_total',
  'sluice_items_total',
  'sluice_dropped_frames_total',
  'sluice_queue_duration_seconds',
  'sluice_inference_duration_seconds',
  'sluice_request_duration_seconds',
  'sluice_batch_size',
  'sluice_queue_depth',
  'sluice_open_streams',
  'sluice_inflight_items',
  'sluice_inflight_bytes',
  'sluice_worker_utilization',
] as const;

/** The `model` label of items that named no model the server has. */
export const UNKNOWN_MODEL = '_unknown';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type CounterChild = ReturnType<Counter<'model' | 'outcome' | 'protocol'>['labels']>;
type HistogramChild = ReturnType<Histogram<'model'>['labels']>;

/** One model's metric children, made on first use. */
interface ModelChildren {
  /** Item counters by protocol, then outcome: a property read and a map lookup per item. */
  readonly outcomes: Record<Protocol, Map<ItemOutcomeLabel, CounterChild>>;
  readonly dropped: ReturnType<Counter<'model'>['labels']>;
  readonly queue: HistogramChild;
  readonly total: HistogramChild;
  readonly inference: HistogramChild;
  readonly batch: HistogramChild;
}

export class ServerMetrics {
  readonly registry = new Registry();
  /** Per-model statistics, for the Open Inference Protocol's `ModelStatistics` RPC. */
  readonly statistics: ModelStatisticsCollector;
  readonly #requests: Counter<'rpc' | 'protocol'>;
  readonly #items: Counter<'model' | 'outcome' | 'protocol'>;
  readonly #dropped: Counter<'model'>;
  readonly #queue: Histogram<'model'>;
  readonly #inference: Histogram<'model'>;
  readonly #total: Histogram<'model'>;
  readonly #batch: Histogram<'model'>;
  readonly #children = new Map<string, ModelChildren>();

  /** `repository` bounds `statistics` to the models it holds. */
  constructor(sources: MetricsSources, repository: ModelNames) {
    this.statistics = new ModelStatisticsCollector(repository);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: 'sluice_requests_total', help: 'Calls received, by RPC and protocol (a stream counts once).', labelNames: ['rpc', 'protocol'], registers });
    this.#items = new Counter({ name: 'sluice_items_total', help: 'Items answered, by model, outcome and protocol.', labelNames: ['model', 'outcome', 'protocol'], registers });
    this.#dropped = new Counter({ name: 'sluice_dropped_frames_total', help: 'Frames live streams dropped for fresher ones.', labelNames: ['model'], registers });
    this.#queue = new Histogram({ name: 'sluice_queue_duration_seconds', help: 'Time from acceptance until a worker started on the item.', labelNames: ['model'], buckets: SECONDS, registers });
    this.#inference = new Histogram({ name: 'sluice_inference_duration_seconds', help: 'onnxruntime time of each run of the model.', labelNames: ['model'], buckets: SECONDS, registers });
    this.#total = new Histogram({ name: 'sluice_request_duration_seconds', help: 'Time from acceptance until the result was back on the main thread.', labelNames: ['model'], buckets: SECONDS, registers });
    this.#batch = new Histogram({ name: 'sluice_batch_size', help: 'Items in each run of the model.', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64], registers });
    new Gauge({
      name: 'sluice_queue_depth',
      help: 'Items waiting per model.',
      labelNames: ['model'],
      registers,
      collect() {
        for (const [model, depth] of sources.queueDepth()) this.set({ model }, depth);
      },
    });
    new Gauge({ name: 'sluice_open_streams', help: 'Open Predict streams.', registers, collect() { this.set(sources.openStreams()); } });
    new Gauge({ name: 'sluice_inflight_items', help: 'Items read from streams and not yet answered.', registers, collect() { this.set(sources.inFlightItems()); } });
    new Gauge({ name: 'sluice_inflight_bytes', help: 'Bytes of items read and not yet answered (the byte budget in use).', registers, collect() { this.set(sources.inFlightBytes()); } });
    new Gauge({ name: 'sluice_worker_utilization', help: 'Share of time the inference workers were busy since start, 0..1.', registers, collect() { this.set(sources.workerUtilization()); } });
  }

  /** Counts a call. */
  countRequest(rpc: CountedRpc, protocol: Protocol = 'sluice'): void {
    this.#requests.inc({ rpc, protocol });
  }

  /**
   * Records one answered item from the response its client gets (a KServe call's items as the
   * sluice.v1 responses they were answered with, before translation).
   */
  recordResponse(response: PredictResponse, protocol: Protocol = 'sluice'): void {
    const result = response.result;
    let outcome: ItemOutcomeLabel;
    if (result?.$case === 'prediction') outcome = 'success';
    else if (result?.$case === 'dropped') outcome = 'dropped';
    else outcome = OUTCOME_OF_STATUS.get(result?.value.code ?? status.INTERNAL) ?? 'internal';
    // A name no model has is whatever a client wrote: one label for all of them keeps the series
    // bounded. Every other item was checked against the repository before it was answered.
    const model = outcome === 'not_found' || response.model === '' ? UNKNOWN_MODEL : response.model;
    const children = this.#childrenOf(model);
    this.#countItem(children, model, outcome, protocol);
    if (outcome === 'dropped') {
      // A frame superseded by a fresher one was neither served nor failed.
      children.dropped.inc();
      return;
    }
    const timings = response.timings;
    if (outcome !== 'success') {
      if (model !== UNKNOWN_MODEL) this.statistics.recordFailure(model, timings);
      return;
    }
    if (timings !== undefined) {
      children.queue.observe(timings.queueUs / 1e6);
      children.total.observe(timings.totalUs / 1e6);
      this.statistics.recordSuccess(model, timings);
    }
  }

  /**
   * Counts an item withdrawn without an answer because its client went away (a stream that ended
   * with items still queued or running). `model` must be one the repository held.
   */
  recordCancelled(model: string, protocol: Protocol = 'sluice'): void {
    this.#countItem(this.#childrenOf(model), model, 'cancelled', protocol);
    this.statistics.recordFailure(model);
  }

  /** Records one run of a model. */
  recordRun(run: RunReport): void {
    const children = this.#childrenOf(run.model);
    children.batch.observe(run.items);
    children.inference.observe(run.inferenceUs / 1e6);
    this.statistics.recordRun(run);
  }

  #countItem(children: ModelChildren, model: string, outcome: ItemOutcomeLabel, protocol: Protocol): void {
    const outcomes = children.outcomes[protocol];
    let counter = outcomes.get(outcome);
    if (counter === undefined) {
      counter = this.#items.labels({ model, outcome, protocol });
      outcomes.set(outcome, counter);
    }
    counter.inc();
  }

  #childrenOf(model: string): ModelChildren {
    let children = this.#children.get(model);
    if (children === undefined) {
      const labels = { model };
      children = {
        outcomes: { sluice: new Map(), kserve: new Map(), nats: new Map() },
        dropped: this.#dropped.labels(labels),
        queue: this.#queue.labels(labels),
        total: this.#total.labels(labels),
        inference: this.#inference.labels(labels),
        batch: this.#batch.labels(labels),
      };
      this.#children.set(model, children);
    }
    return children;
  }
}
