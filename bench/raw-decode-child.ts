/**
 * Child process of `measureRawDecode`: encodes the model's JPEG frames, starts one worker thread
 * per server worker, and has each loop decode + preprocess + infer over them until the budget is
 * spent (the workers share one item counter), then prints one JSON line. Each worker does what a
 * server worker does for an image item, with the server's own functions, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { LatencyRecorder } from '../client/metrics/latency-recorder.js';
import { PixelFormat } from '../gen/ts/sluice/v1/image.js';
import { ModelConfig } from '../gen/ts/sluice/v1/model_config.js';
import { preprocessImage } from '../server/worker/preprocess/image-preprocess.js';
import { resolvePreprocessing } from '../server/worker/preprocess/resolve-preprocessing.js';
import { REPO_ROOT } from './child-process.js';
import { encodeFrames } from './jpeg-frames.js';
import { readMachineBusySeconds } from './proc-stats.js';
import type { RawDecodeJob, RawDecodeResult } from './raw-decode.js';
import { openServerSession } from './server-session.js';
import { nextMessage, startTsxWorker } from './tsx-worker.js';

/** The server's default `--max-image-pixels`. */
const MAX_IMAGE_PIXELS = 40_000_000;

interface WorkerJob {
  readonly modelDir: string;
  readonly threads: number;
  readonly frames: readonly Uint8Array[];
  readonly warmupItems: number;
  readonly seconds: number;
  readonly maxItems: number;
  /** One Int32: items claimed so far, shared by the workers. */
  readonly claimed: SharedArrayBuffer;
}

/** Per item: total, preprocessing and inference, in µs, three values per item. */
type WorkerMessage = { readonly kind: 'ready' } | { readonly kind: 'done'; readonly timesUs: Float64Array };

async function workerMain(): Promise<void> {
  const job = workerData as WorkerJob;
  const port = parentPort;
  if (port === null) throw new Error('raw-decode-child: no parent port');
  const config = ModelConfig.fromJSON(parse(readFileSync(join(job.modelDir, 'model.yaml'), 'utf8')));
  if (config.preprocessing === undefined) throw new Error(`${job.modelDir} has no image preprocessing`);
  const pre = resolvePreprocessing(config.preprocessing);
  const session = await openServerSession(join(job.modelDir, config.file || 'model.onnx'), job.threads);
  // As the server: the configured input, else the model's only one.
  const input = pre.input || (session.inputNames[0] as string);
  const one = async (index: number): Promise<[number, number, number]> => {
    const start = performance.now();
    const frame = job.frames[index % job.frames.length] as Uint8Array;
    const image = await preprocessImage({ data: frame, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED }, pre, { maxImagePixels: MAX_IMAGE_PIXELS });
    const preprocessed = performance.now();
    const outputs = await session.run({ [input]: new ort.Tensor('float32', image.data, image.dims) });
    const end = performance.now();
    for (const output of Object.values(outputs)) output.dispose();
    return [(end - start) * 1000, (preprocessed - start) * 1000, (end - preprocessed) * 1000];
  };
  for (let i = 0; i < job.warmupItems; i++) await one(i);
  const go = new Promise((resolve) => port.once('message', resolve));
  port.postMessage({ kind: 'ready' } satisfies WorkerMessage);
  await go;
  const claimed = new Int32Array(job.claimed);
  const times: number[] = [];
  const deadline = performance.now() + job.seconds * 1000;
  for (let index = Atomics.add(claimed, 0, 1); index < job.maxItems && performance.now() < deadline; index = Atomics.add(claimed, 0, 1)) {
    times.push(...(await one(index)));
  }
  await session.release();
  const timesUs = Float64Array.from(times);
  port.postMessage({ kind: 'done', timesUs } satisfies WorkerMessage, [timesUs.buffer]);
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as RawDecodeJob;
  const frames = await encodeFrames(job.model);
  const claimed = new SharedArrayBuffer(4);
  const perWorker = Math.max(1, Math.ceil(job.budget.warmupItems / job.workers));
  const workers = Array.from({ length: job.workers }, () =>
    startTsxWorker(import.meta.url, {
      modelDir: join(REPO_ROOT, 'models', job.model.name),
      threads: job.threads,
      frames,
      warmupItems: perWorker,
      seconds: job.budget.seconds,
      maxItems: job.budget.maxItems,
      claimed,
    } satisfies WorkerJob),
  );
  try {
    await Promise.all(workers.map((w) => nextMessage<WorkerMessage>(w)));
    const done = workers.map((w) => nextMessage<WorkerMessage>(w));
    const cpuStart = process.cpuUsage();
    const machineStart = readMachineBusySeconds();
    const start = performance.now();
    for (const worker of workers) worker.postMessage('go');
    const messages = await Promise.all(done);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const machineSeconds = readMachineBusySeconds() - machineStart;
    const total = new LatencyRecorder();
    const preprocess = new LatencyRecorder();
    const inference = new LatencyRecorder();
    for (const message of messages) {
      if (message.kind !== 'done') continue;
      for (let i = 0; i + 2 < message.timesUs.length; i += 3) {
        total.recordUs(message.timesUs[i] as number);
        preprocess.recordUs(message.timesUs[i + 1] as number);
        inference.recordUs(message.timesUs[i + 2] as number);
      }
    }
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const result: RawDecodeResult = {
      workers: job.workers,
      threads: job.threads,
      items: total.count,
      seconds,
      itemsPerSec: total.count / seconds,
      latency: total.summary(),
      preprocess: preprocess.summary(),
      inference: inference.summary(),
      cpuSeconds,
      cpuCores: cpuSeconds / seconds,
      machineCores: machineSeconds / seconds,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (isMainThread) await main();
else await workerMain();
