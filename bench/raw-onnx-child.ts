/**
 * Child process of `measureRawOnnx`: runs `session.run()` in a plain loop, with the server's
 * session options, for every layout and batch size of the job given as argv[2], and prints the
 * results as one JSON line. Multi-session layouts run one session per worker thread; the workers
 * share one item counter, so a counted budget is split exactly.
 */
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { type BenchInput, type Budget, batchedShape, inputValues } from './bench-models.js';
import { LatencyRecorder } from '../client/metrics/latency-recorder.js';
import { readMachineBusySeconds } from './proc-stats.js';
import type { RawLayout, RawOnnxJob, RawOnnxResult } from './raw-onnx.js';
import { openServerSession } from './server-session.js';
import { nextMessage, startTsxWorker } from './tsx-worker.js';

const MAX_RUNS = 2 ** 31 - 1;

/** What one worker thread runs. */
interface WorkerJob {
  readonly modelPath: string;
  readonly inputs: readonly BenchInput[];
  readonly threads: number;
  readonly batch: number;
  readonly warmupRuns: number;
  readonly seconds: number;
  readonly maxRuns: number;
  /** One Int32: runs claimed so far, shared by the workers. */
  readonly claimed: SharedArrayBuffer;
}

type WorkerMessage = { readonly kind: 'ready' } | { readonly kind: 'done'; readonly latenciesUs: Float64Array };

function feedsFor(inputs: readonly BenchInput[], batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((input, index) => {
    feeds[input.name] = new ort.Tensor('float32', inputValues(input, batch, index), batchedShape(input.shape, batch));
  });
  return feeds;
}

async function runOnce(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  const start = performance.now();
  const outputs = await session.run(feeds);
  const elapsed = performance.now() - start;
  for (const output of Object.values(outputs)) output.dispose();
  return elapsed;
}

/** Runs until the deadline or until the shared counter passes `maxRuns`; returns each run's µs. */
async function loop(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, seconds: number, maxRuns: number, claimed: Int32Array): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline && Atomics.add(claimed, 0, 1) < maxRuns) {
    latencies.push((await runOnce(session, feeds)) * 1000);
  }
  return latencies;
}

function runsOf(budget: Budget, batch: number): { warmupRuns: number; maxRuns: number } {
  return {
    warmupRuns: Math.max(1, Math.ceil(budget.warmupItems / batch)),
    maxRuns: Math.min(MAX_RUNS, Math.ceil(budget.maxItems / batch)),
  };
}

/** Wall-clock and CPU time of the measured loop only: session creation, warm-up and release stay outside. */
class MeasuredWindow {
  #start = 0;
  #cpuStart = process.cpuUsage();
  #machineStart = 0;
  seconds = 0;
  cpuSeconds = 0;
  machineSeconds = 0;

  begin(): void {
    this.#start = performance.now();
    this.#cpuStart = process.cpuUsage();
    this.#machineStart = readMachineBusySeconds();
  }

  end(): void {
    this.seconds = (performance.now() - this.#start) / 1000;
    const cpu = process.cpuUsage(this.#cpuStart);
    this.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    this.machineSeconds = readMachineBusySeconds() - this.#machineStart;
  }
}

async function measureInMainThread(job: RawOnnxJob, layout: RawLayout, batch: number, window: MeasuredWindow): Promise<number[]> {
  const session = await openServerSession(job.modelPath, layout.threads);
  try {
    const feeds = feedsFor(job.inputs, batch);
    const { warmupRuns, maxRuns } = runsOf(job.budget, batch);
    for (let i = 0; i < warmupRuns; i++) await runOnce(session, feeds);
    window.begin();
    const latencies = await loop(session, feeds, job.budget.seconds, maxRuns, new Int32Array(new SharedArrayBuffer(4)));
    window.end();
    return latencies;
  } finally {
    await session.release();
  }
}

async function measureInWorkers(job: RawOnnxJob, layout: RawLayout, batch: number, window: MeasuredWindow): Promise<number[]> {
  const { warmupRuns, maxRuns } = runsOf(job.budget, batch);
  const claimed = new SharedArrayBuffer(4);
  const workers = Array.from({ length: layout.sessions }, () =>
    startTsxWorker(import.meta.url, { modelPath: job.modelPath, inputs: job.inputs, threads: layout.threads, batch, warmupRuns, seconds: job.budget.seconds, maxRuns, claimed }),
  );
  try {
    await Promise.all(workers.map((w) => nextMessage<WorkerMessage>(w)));
    const done = workers.map((w) => nextMessage<WorkerMessage>(w));
    window.begin();
    for (const worker of workers) worker.postMessage('go');
    const results = await Promise.all(done);
    window.end();
    return results.flatMap((m) => (m.kind === 'done' ? [...m.latenciesUs] : []));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function measure(job: RawOnnxJob, layout: RawLayout, batch: number): Promise<RawOnnxResult> {
  const window = new MeasuredWindow();
  const latencies = layout.sessions === 1 ? await measureInMainThread(job, layout, batch, window) : await measureInWorkers(job, layout, batch, window);
  const { seconds } = window;
  const recorder = new LatencyRecorder();
  for (const us of latencies) recorder.recordUs(us);
  const items = latencies.length * batch;
  return {
    ...layout,
    batch,
    runs: latencies.length,
    items,
    seconds,
    itemsPerSec: seconds > 0 ? items / seconds : 0,
    latency: recorder.summary(),
    cpuCores: seconds > 0 ? window.cpuSeconds / seconds : 0,
    machineCores: seconds > 0 ? window.machineSeconds / seconds : 0,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as RawOnnxJob;
  const results: RawOnnxResult[] = [];
  for (const batch of job.batches) {
    for (const layout of job.layouts) results.push(await measure(job, layout, batch));
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

async function workerMain(): Promise<void> {
  const job = workerData as WorkerJob;
  const port = parentPort;
  if (port === null) throw new Error('raw-onnx-child: no parent port');
  const session = await openServerSession(job.modelPath, job.threads);
  const feeds = feedsFor(job.inputs, job.batch);
  for (let i = 0; i < job.warmupRuns; i++) await runOnce(session, feeds);
  const go = new Promise((resolve) => port.once('message', resolve));
  port.postMessage({ kind: 'ready' } satisfies WorkerMessage);
  await go;
  const latencies = Float64Array.from(await loop(session, feeds, job.seconds, job.maxRuns, new Int32Array(job.claimed)));
  await session.release();
  port.postMessage({ kind: 'done', latenciesUs: latencies } satisfies WorkerMessage, [latencies.buffer]);
}

if (isMainThread) await main();
else await workerMain();
