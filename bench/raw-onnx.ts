/**
 * The raw onnxruntime baseline, seen from the orchestrator: what a model does in a plain loop with
 * no server around it, measured in a child process of its own (`raw-onnx-child.ts`).
 */
import type { BenchInput, Budget } from './bench-models.js';
import { benchScript, runJsonChild } from './child-process.js';
import type { LatencySummary } from '../client/metrics/latency-recorder.js';

/** How the raw loop spends the machine's threads. */
export interface RawLayout {
  /** Sessions, each looping in its own thread (the main thread when there is one). */
  readonly sessions: number;
  /** intraOpNumThreads of each session. */
  readonly threads: number;
}

/** The layouts measured: all of the server's 2 threads in one session, one thread (one server
 * worker), and 2 single-threaded sessions in 2 worker threads (the server's own layout). */
export const RAW_LAYOUTS: readonly RawLayout[] = [
  { sessions: 1, threads: 2 },
  { sessions: 1, threads: 1 },
  { sessions: 2, threads: 1 },
];

/** What the child is asked to run. */
export interface RawOnnxJob {
  readonly modelPath: string;
  readonly inputs: readonly BenchInput[];
  readonly batches: readonly number[];
  readonly layouts: readonly RawLayout[];
  readonly budget: Budget;
}

/** One layout at one batch size. */
export interface RawOnnxResult extends RawLayout {
  readonly batch: number;
  readonly runs: number;
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
  /** Duration of one `session.run()`. */
  readonly latency: LatencySummary;
  /** CPU of the whole child process over the measured loop, as cores. */
  readonly cpuCores: number;
  /** CPU of the whole machine over the same loop, as cores. */
  readonly machineCores: number;
}

/** Short name of a layout, e.g. `2x1` for 2 sessions of 1 thread. */
export function layoutName(layout: RawLayout): string {
  return `${layout.sessions}x${layout.threads}`;
}

/** Runs the job in a fresh process and returns one result per layout and batch size. */
export function measureRawOnnx(job: RawOnnxJob): Promise<RawOnnxResult[]> {
  return runJsonChild<RawOnnxResult[]>([...benchScript('raw-onnx-child.ts'), JSON.stringify(job)]);
}
