/**
 * Entry point of an inference worker thread (a piscina task module). Opens a session for every
 * model at start-up, then serves `InferTask`s: preprocessing, inference and postprocessing all run
 * here, never on the main thread.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { InputArena } from './input-arena.js';
import { ModelRunner } from './model-runner.js';
import { type InferTask, type InferTaskResult, MOVE_THRESHOLD_BYTES, WORKER_FAILED, WORKER_READY, type WorkerInit, type WorkerStatusMessage } from './task.js';
import { moveWith } from './transferable-result.js';

const NO_TIME = { preprocessUs: 0, inferenceUs: 0, postprocessUs: 0 } as const;
const init = workerData as WorkerInit;
// Loading starts when the module is evaluated, not on the first task, and is not awaited at the
// top level: piscina loads task modules with require() first, which top-level await would defeat.
const loading = loadRunners();

async function loadRunners(): Promise<ReadonlyMap<string, ModelRunner>> {
  const arena = new InputArena();
  const runners = new Map<string, ModelRunner>();
  try {
    for (const spec of init.models) {
      runners.set(spec.config.name, await ModelRunner.open(spec, { intraOpThreads: init.intraOpThreads, maxImagePixels: init.maxImagePixels, arena }));
    }
    parentPort?.postMessage({ type: WORKER_READY, threadId } satisfies WorkerStatusMessage);
  } catch (err: unknown) {
    parentPort?.postMessage({ type: WORKER_FAILED, threadId, message: err instanceof Error ? err.message : String(err) } satisfies WorkerStatusMessage);
  }
  return runners;
}

/** Runs one task and returns one result per item, moving output tensor buffers back. */
export default async function infer(task: InferTask): Promise<InferTaskResult> {
  const startedAt = performance.timeOrigin + performance.now();
  const runner = (await loading).get(task.model);
  if (runner === undefined) {
    const failure = { ok: false, code: 'UNAVAILABLE', message: `model ${task.model} is not loaded`, timings: NO_TIME } as const;
    return { startedAt, items: task.items.map(() => failure) };
  }
  const items = await runner.run(task);
  const buffers: ArrayBufferLike[] = [];
  const move = (bytes: Uint8Array): void => {
    if (bytes.byteLength >= MOVE_THRESHOLD_BYTES) buffers.push(bytes.buffer);
  };
  for (const item of items) {
    if (!item.ok) continue;
    for (const tensor of item.prediction.outputs) move(tensor.rawData);
    for (const crop of item.crops ?? []) move(crop.data);
    if (item.thumbnail !== undefined) move(item.thumbnail.jpeg);
    // The mask's PNG owns its whole buffer (see encodePalettePng).
    if (item.prediction.segmentation !== undefined) move(item.prediction.segmentation.maskPng);
  }
  return moveWith({ startedAt, items }, buffers);
}
