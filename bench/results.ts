/**
 * The shape of one benchmark run, as written to `bench/results/<time>.json`.
 */
import type { OcrResult } from './ocr-scenario.js';
import type { ModelLabel } from './bench-models.js';
import type { ThreadProfile } from './cpu-profile.js';
import type { EchoResult } from './echo-service.js';
import type { LiveResult } from './live-load.js';
import type { NatsResult } from './nats-scenario.js';
import type { RawOnnxResult } from './raw-onnx.js';
import type { LoadResult } from './sluice-load.js';
import type { CostResults } from './cost-scenarios.js';
import type { OverheadResult } from './overhead-ratio.js';
import type { ScenarioName } from './scenario-selection.js';

/** Everything measured for one model. */
export interface ModelResults {
  readonly label: ModelLabel;
  readonly name: string;
  /** Encoded size of one request (batch 1), which the echo baseline also carries. */
  readonly requestBytes: number;
  readonly streamWindow: number;
  readonly raw: readonly RawOnnxResult[];
  readonly echo: EchoResult;
  readonly oneC1: LoadResult;
  readonly oneC16: LoadResult;
  readonly streamOff: LoadResult;
  readonly streamOn: LoadResult;
  readonly live: LiveResult;
}

/** Sluice against its baselines, for one model. */
export interface ModelRatios {
  readonly label: ModelLabel;
  /** The raw throughput limit: the fastest batch-1 layout. */
  readonly rawLimit: { readonly layout: string; readonly itemsPerSec: number };
  /** Raw latency of one inference: the p50 of one single-threaded session, as one server worker runs it. */
  readonly rawInferenceMs: number;
  /** Stream (batching on) items/s over the raw limit. */
  readonly streamVsRaw: number;
  /** Stream with batching off over the raw limit. */
  readonly streamOffVsRaw: number;
  /** Stream (batching on) over the fastest raw layout at batch 8, where measured. */
  readonly streamVsRawBatched: number | undefined;
  /** Stream items/s with batching on over batching off. */
  readonly batchingGain: number;
  /** Stream items/s (batching on) over echo messages/s at the same request size. */
  readonly streamVsEcho: number;
  /**
   * Server CPU per item of the stream (batching on) over the echo server's CPU per message: what
   * Sluice costs beyond moving the bytes, less sensitive to other load on the machine than rates.
   */
  readonly cpuPerItemVsEcho: number;
  /** `PredictOne` p50 at concurrency 1 minus the raw inference p50, in ms. */
  readonly c1LatencyAboveRawMs: number;
}

/** Where the scenario a target measures is run again under the profiler. */
export interface ProfileScenario {
  readonly label: ModelLabel;
  readonly scenario: 'one-c1' | 'stream-on' | 'stream-off' | 'live';
}

/** One of the targets. */
export interface TargetResult {
  readonly id: string;
  readonly description: string;
  /** The measured value, readable. */
  readonly measured: string;
  readonly met: boolean;
  /** The scenario to profile when the target is missed; absent when none is profiled. */
  readonly profile?: ProfileScenario;
}

/** A scenario run again with `--cpu-prof`, summarised. */
export interface ProfileResult extends ProfileScenario {
  /** Targets it explains. */
  readonly targets: readonly string[];
  /** Folder holding the `.cpuprofile` files. */
  readonly dir: string;
  readonly threads: readonly ThreadProfile[];
}

/** The machine and the code the run measured. */
export interface Environment {
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly loadAverageBefore: readonly number[];
  readonly loadAverageAfter: readonly number[];
  readonly commit: string;
  /** The working tree had uncommitted changes (the server measured is the working tree, compiled). */
  readonly dirty: boolean;
}

/** A whole run; the scenarios of the transport-cost issue come from `CostResults`. */
export interface BenchResults extends CostResults {
  readonly startedAt: string;
  /** The scenarios run (`--only`, or what `--models` implies). */
  readonly scenarios: readonly ScenarioName[];
  readonly seconds: number;
  readonly quick: boolean;
  readonly environment: Environment;
  readonly models: readonly ModelResults[];
  readonly ratios: readonly ModelRatios[];
  /** (Sluice server CPU - raw onnxruntime CPU) / echo server CPU, per item, for each model measured. */
  readonly overhead: readonly OverheadResult[];
  readonly targets: readonly TargetResult[];
  readonly profiles: readonly ProfileResult[];
  /** The OCR pipeline on rendered frames of moving text; absent when `--models` left it out. */
  readonly ocr?: OcrResult | undefined;
  /** JetStream ingestion against a `Predict` stream; absent when not selected. */
  readonly nats?: NatsResult | undefined;
}
