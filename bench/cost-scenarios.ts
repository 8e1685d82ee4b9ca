/**
 * The scenarios of "the request path at the cost of the transport" beyond the model suite:
 * encoded images against a raw decode loop, live mode with JPEG frames dropped at the source,
 * stream-count scaling and memory under large frames. Each runs on a server of its own.
 */
import { imageRequest } from '../client/index.js';
import { type JpegResult, measureJpegModel } from './jpeg-scenario.js';
import { type ProtocolComparison, measureKserveProtocol } from './kserve-scenario.js';
import { JPEG_MODELS, type JpegModel, encodeFrames } from './jpeg-frames.js';
import { type LiveJpegResult, measureLiveJpeg } from './live-jpeg.js';
import { type MemoryResult, measureMemory } from './memory-scenario.js';
import type { ScenarioName } from './scenario-selection.js';
import { type ScenarioServer, startScenarioServer } from './scenario-server.js';
import { SLUICE_WORKERS } from './server-process.js';
import { LIVE_OVERLOAD, LIVE_WINDOW } from './sluice-scenarios.js';
import { measureStream } from './sluice-load.js';
import { type ScalingResult, measureStreamScaling } from './stream-scaling.js';

/** Live mode with JPEG frames, with the references its target is checked against. */
export interface LiveJpegScenario {
  /** The detector's JPEG stream items/s the camera's rate is a multiple of. */
  readonly capacity: number;
  readonly capacitySource: 'jpeg scenario' | 'own stream';
  readonly overload: number;
  /** One inference: the raw decode loop's median `session.run()` when measured, else the saturating stream's median `inference_us`. */
  readonly inferenceMs: number;
  readonly inferenceSource: 'raw decode loop' | 'stream responses';
  readonly p99VsInference: number;
  readonly result: LiveJpegResult;
}

/** What the scenarios measured; absent ones were not selected. */
export interface CostResults {
  readonly jpeg?: readonly JpegResult[];
  readonly liveJpeg?: LiveJpegScenario;
  readonly scaling?: ScalingResult;
  readonly memory?: MemoryResult;
  readonly kserve?: readonly ProtocolComparison[];
}

const DETECTOR = JPEG_MODELS.find((m) => m.label === 'det') as JpegModel;

/** Seconds of each paced or timed phase at full budget (`scale` shortens them). */
const LIVE_SECONDS = 10;
const CAPACITY_SECONDS = 4;
const SCALING_SECONDS = 5;
const MEMORY_SECONDS = 20;
/** 48 MiB frames take about a second each to cross loopback: a shorter run never fills the budget. */
const MEMORY_MIN_SECONDS = 12;

async function liveJpeg(server: ScenarioServer, jpeg: readonly JpegResult[] | undefined, scale: number): Promise<LiveJpegScenario> {
  const frames = await encodeFrames(DETECTOR);
  const measured = jpeg?.find((r) => r.label === 'det');
  const stream =
    measured?.stream ??
    (await measureStream({
      stub: server.stub,
      serverPid: server.server.pid,
      window: DETECTOR.window,
      budget: { seconds: CAPACITY_SECONDS * scale, maxItems: Number.MAX_SAFE_INTEGER, warmupItems: 4 },
      request: (id) => imageRequest(DETECTOR.name, frames[Number(id) % frames.length] as Buffer, id),
    }));
  const inferenceMs = measured?.raw.inference.p50Ms ?? stream.inference.p50Ms;
  const result = await measureLiveJpeg({
    connection: server,
    model: DETECTOR.name,
    frames,
    ratePerSec: LIVE_OVERLOAD * stream.itemsPerSec,
    seconds: LIVE_SECONDS * scale,
    serverWindow: LIVE_WINDOW,
    clientWindow: SLUICE_WORKERS,
  });
  return {
    capacity: stream.itemsPerSec,
    capacitySource: measured === undefined ? 'own stream' : 'jpeg scenario',
    overload: LIVE_OVERLOAD,
    inferenceMs,
    inferenceSource: measured === undefined ? 'stream responses' : 'raw decode loop',
    p99VsInference: result.latency.p99Ms / inferenceMs,
    result,
  };
}

/** Runs the selected scenarios; `scale` multiplies durations (1/3 for `--quick`). */
export async function runCostScenarios(selected: ReadonlySet<ScenarioName>, scale: number, log: (message: string) => void): Promise<CostResults> {
  let jpeg: JpegResult[] | undefined;
  let live: LiveJpegScenario | undefined;
  if (selected.has('jpeg') || selected.has('live-jpeg')) {
    const server = await startScenarioServer({ models: JPEG_MODELS.map((m) => m.name) });
    try {
      if (selected.has('jpeg')) {
        jpeg = [];
        for (const model of JPEG_MODELS) {
          log(`jpeg: ${model.name} on ${model.width}x${model.height} JPEG frames, raw decode + infer loop then a stream`);
          jpeg.push(await measureJpegModel(server, model, scale));
        }
      }
      if (selected.has('live-jpeg')) {
        log(`live-jpeg: ${DETECTOR.name}, JPEG frames at ${LIVE_OVERLOAD}x its stream rate, latestOnly + drop oldest`);
        live = await liveJpeg(server, jpeg, scale);
      }
    } finally {
      await server.close();
    }
  }
  const scaling = selected.has('streams') ? await measureStreamScaling(SCALING_SECONDS * scale, log) : undefined;
  if (selected.has('memory')) log('memory: 8 streams of 48 MiB raw frames against --max-inflight-bytes');
  const memory = selected.has('memory') ? await measureMemory(Math.max(MEMORY_MIN_SECONDS, MEMORY_SECONDS * scale)) : undefined;
  const kserve = selected.has('kserve') ? await measureKserveProtocol(scale, log) : undefined;
  return { jpeg, liveJpeg: live, scaling, memory, kserve };
}
