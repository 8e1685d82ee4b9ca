/**
 * The raw baseline for encoded images: worker threads, as many as the server has, each looping
 * over JPEG frames with the server's own preprocessing (`preprocessImage`: sharp decode, resize,
 * normalisation) and a session opened with the server's options, in a child process of its own
 * (`raw-decode-child.ts`). Postprocessing is left out: the loop is decode + preprocess + infer.
 */
import type { Budget } from './bench-models.js';
import { benchScript, runJsonChild } from './child-process.js';
import type { JpegModel } from './jpeg-frames.js';
import type { LatencySummary } from '../client/metrics/latency-recorder.js';

/** What the child is asked to run. */
export interface RawDecodeJob {
  readonly model: JpegModel;
  /** Worker threads, each with a session of `threads` intra-op threads. */
  readonly workers: number;
  readonly threads: number;
  readonly budget: Budget;
}

/** The decode + infer loop's measurement. */
export interface RawDecodeResult {
  readonly workers: number;
  readonly threads: number;
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
  /** One item from its bytes to the model's outputs. */
  readonly latency: LatencySummary;
  /** Decoding, resizing and normalising one item. */
  readonly preprocess: LatencySummary;
  /** `session.run()` of one item. */
  readonly inference: LatencySummary;
  /** CPU of the whole child process over the measured loop. */
  readonly cpuSeconds: number;
  readonly cpuCores: number;
  /** CPU of the whole machine over the same loop, as cores. */
  readonly machineCores: number;
}

/** Runs the loop in a fresh process. */
export function measureRawDecode(job: RawDecodeJob): Promise<RawDecodeResult> {
  return runJsonChild<RawDecodeResult>([...benchScript('raw-decode-child.ts'), JSON.stringify(job)]);
}
