/**
 * Entry point of an inference worker thread (a piscina task module). Opens a session for every
 * model at start-up, then serves `InferTask`s: preprocessing, inference and postprocessing all run
 * here, never on the main thread.
 */
import { performance } from 'node:perf_hooks';
import { workerData } from 'piscina';
import { ModelRunner } from './model-runner.js';
import type { InferTask, InferTaskResult, WorkerInit } from './task.js';
import { moveWith } from './transferable-result.js';

const NO_TIME = { preprocessUs: 0, inferenceUs: 0, postprocessUs: 0 } as const;
const init = workerData as WorkerInit;
const runners = new Map<string, ModelRunner>();
for (const spec of init.models) {
  runners.set(spec.config.name, await ModelRunner.open(spec, { intraOpThreads: init.intraOpThreads, maxImagePixels: init.maxImagePixels }));
}

/** Runs one task and returns one result per item, moving output tensor buffers back. */
export default async function infer(task: InferTask): Promise<InferTaskResult> {
  const startedAt = performance.timeOrigin + performance.now();
  const runner = runners.get(task.model);
  if (runner === undefined) {
    const failure = { ok: false, code: 'UNAVAILABLE', message: `model ${task.model} is not loaded`, timings: NO_TIME } as const;
    return { startedAt, items: task.items.map(() => failure) };
  }
  const items = await runner.run(task.items, task.returnTensors);
  const buffers: ArrayBufferLike[] = [];
  for (const item of items) {
    if (item.ok) for (const tensor of item.prediction.outputs) buffers.push(tensor.rawData.buffer);
  }
  return moveWith({ startedAt, items }, buffers);
}
