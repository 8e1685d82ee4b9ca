/**
 * The overhead ratio of the request path, per model: (Sluice server CPU per item - raw
 * onnxruntime CPU per item) / (echo server CPU per item), every term measured in the same run
 * with the same message. 1.0 means that what Sluice adds to the model costs what moving the
 * message through a plain grpc-js server costs; CPU per item is steadier than items per second
 * on a shared machine.
 *
 * The Sluice term is the saturating stream with the repository's batching. The raw term is the
 * server's own layout (one single-threaded session per worker thread) at the batch size that
 * stream ran at (its mean, rounded), since batching changes what onnxruntime costs per item. The
 * echo term is a stream of messages of the request's encoded size, written back as they came.
 */
import { join } from 'node:path';
import type { BenchModel, ModelLabel } from './bench-models.js';
import type { Servers } from './bench-servers.js';
import { REPO_ROOT } from './child-process.js';
import type { EchoResult } from './echo-service.js';
import { type RawLayout, type RawOnnxResult, layoutName, measureRawOnnx } from './raw-onnx.js';
import { SLUICE_THREADS, SLUICE_WORKERS } from './server-process.js';
import type { LoadResult } from './sluice-load.js';
import { runLoadScenario } from './sluice-scenarios.js';

/** The server's layout, as the raw loop reproduces it. */
export const SERVER_LAYOUT: RawLayout = { sessions: SLUICE_WORKERS, threads: SLUICE_THREADS };

/** One model's ratio and its three terms. */
export interface OverheadResult {
  readonly label: ModelLabel;
  /** Server CPU per item of the stream with batching on, in µs. */
  readonly serverCpuUsPerItem: number;
  readonly streamItems: number;
  /** Mean batch size the stream's items ran in. */
  readonly streamMeanBatch: number;
  /** Raw onnxruntime CPU per item in the server's layout at the stream's batch size, in µs. */
  readonly rawCpuUsPerItem: number;
  readonly rawLayout: string;
  readonly rawBatch: number;
  /** Echo server CPU per message, in µs, and the message size. */
  readonly echoCpuUsPerItem: number;
  readonly echoMessageBytes: number;
  /** (server - raw) / echo. */
  readonly ratio: number;
}

/** The batch size the raw term is measured at: the stream's mean batch, rounded. */
export function rawBatchFor(stream: LoadResult): number {
  return Math.max(1, Math.round(stream.meanBatch));
}

/** The raw result in the server's layout at `batch`, if one was measured. */
export function serverLayoutRaw(raw: readonly RawOnnxResult[], batch: number): RawOnnxResult | undefined {
  return raw.find((r) => r.batch === batch && r.sessions === SERVER_LAYOUT.sessions && r.threads === SERVER_LAYOUT.threads);
}

/** Measures the raw loop in the server's layout at one batch size. */
export async function measureServerLayoutRaw(model: BenchModel, batch: number): Promise<RawOnnxResult> {
  const modelPath = join(REPO_ROOT, 'models', model.name, 'model.onnx');
  const [result] = await measureRawOnnx({ modelPath, inputs: model.inputs, batches: [batch], layouts: [SERVER_LAYOUT], budget: model.budgets.raw });
  if (result === undefined) throw new Error(`raw onnxruntime measured nothing for ${model.label} at batch ${batch}`);
  return result;
}

/** The ratio from its three measurements. */
export function overheadOf(label: ModelLabel, stream: LoadResult, echo: EchoResult, raw: RawOnnxResult): OverheadResult {
  const serverCpuUsPerItem = (stream.server.cpuSeconds / stream.items) * 1e6;
  const rawCpuUsPerItem = ((raw.cpuCores * raw.seconds) / raw.items) * 1e6;
  const echoCpuUsPerItem = (echo.server.cpuSeconds / echo.items) * 1e6;
  return {
    label,
    serverCpuUsPerItem,
    streamItems: stream.items,
    streamMeanBatch: stream.meanBatch,
    rawCpuUsPerItem,
    rawLayout: layoutName(raw),
    rawBatch: raw.batch,
    echoCpuUsPerItem,
    echoMessageBytes: echo.messageBytes,
    ratio: (serverCpuUsPerItem - rawCpuUsPerItem) / echoCpuUsPerItem,
  };
}

/**
 * Only what the ratio needs, for `--only overhead`: the echo at the request's size, the stream
 * with batching on, then the raw loop at the batch size the stream ran at.
 */
export async function measureOverhead(model: BenchModel, servers: Servers, requestBytes: number): Promise<OverheadResult> {
  const echo = await servers.echo.measure(requestBytes, model.streamWindow, model.budgets.echo);
  const stream = await runLoadScenario(servers.withBatching, model, 'stream');
  const raw = await measureServerLayoutRaw(model, rawBatchFor(stream));
  return overheadOf(model.label, stream, echo, raw);
}
