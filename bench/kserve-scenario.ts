/**
 * The Open Inference Protocol against sluice.v1, on one server, with the same tensors: what
 * the KServe adapter adds to the request path. For each model, a saturating stream
 * (`ModelStreamInfer` against `Predict`) and unary calls at concurrency 16 (`ModelInfer` against
 * `PredictOne`), each protocol measured in rounds of A-B-B-A so that the machine's drifting load
 * falls on both alike. Each protocol's overhead ratio is (server CPU per item - raw
 * onnxruntime CPU per item) / echo CPU per message, the raw term at the batch size the sluice.v1
 * run reached.
 */
import { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import { BENCH_MODELS, type BenchModel, type ModelLabel, requestFactory } from './bench-models.js';
import { startEchoServer } from './echo-service.js';
import { type KserveLoadResult, createKserveStub, kserveRequestFactory, measureModelInfer, measureModelStreamInfer } from './kserve-load.js';
import { measureServerLayoutRaw, rawBatchFor } from './overhead-ratio.js';
import { startScenarioServer } from './scenario-server.js';
import { type LoadResult, measurePredictOne, measureStream } from './sluice-load.js';

/** The models compared: the two whose cost is mostly the request path's. */
const KSERVE_MODELS: readonly ModelLabel[] = ['tiny', 'cls'];
/** Unary calls in flight. */
const UNARY_CONCURRENCY = 16;
/**
 * Items in flight on either stream: the server's default window (`--stream-window`), which is
 * what a `ModelStreamInfer` stream gets, since the protocol has no way to ask for another.
 * `Predict` asks for the same, so that both streams batch alike.
 */
const STREAM_WINDOW = 16;

/** One protocol's runs of one mode, pooled. */
export interface ProtocolCost {
  readonly items: number;
  readonly errors: number;
  readonly itemsPerSec: number;
  readonly serverCpuUsPerItem: number;
  readonly p50Ms: number;
  /** (server - raw) / echo. */
  readonly ratio: number;
}

/** Both protocols in one mode, for one model. */
export interface ProtocolComparison {
  readonly label: ModelLabel;
  readonly mode: 'stream' | 'unary';
  readonly rawCpuUsPerItem: number;
  readonly rawBatch: number;
  readonly echoCpuUsPerItem: number;
  readonly sluice: ProtocolCost;
  readonly kserve: ProtocolCost;
  /** kserve ratio / sluice ratio. */
  readonly relative: number;
}

type Run = Pick<LoadResult | KserveLoadResult, 'items' | 'seconds' | 'errors' | 'server' | 'latency'>;

function pooled(runs: readonly Run[], rawUs: number, echoUs: number): ProtocolCost {
  const items = runs.reduce((sum, r) => sum + r.items, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const cpuSeconds = runs.reduce((sum, r) => sum + r.server.cpuSeconds, 0);
  const serverCpuUsPerItem = (cpuSeconds / items) * 1e6;
  const p50s = runs.map((r) => r.latency.p50Ms).sort((a, b) => a - b);
  return {
    items,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    itemsPerSec: items / seconds,
    serverCpuUsPerItem,
    p50Ms: p50s[Math.floor(p50s.length / 2)] ?? Number.NaN,
    ratio: (serverCpuUsPerItem - rawUs) / echoUs,
  };
}

/** Rounds of A-B-B-A: the machine's load drifts, and each protocol should meet it alike. */
const ROUNDS = 2;

/** Runs `a` and `b` in A-B-B-A order, `ROUNDS` times, each run its own budget. */
async function alternate<A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<{ sluice: A[]; kserve: B[] }> {
  const sluice: A[] = [];
  const kserve: B[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    sluice.push(await a());
    kserve.push(await b());
    kserve.push(await b());
    sluice.push(await a());
  }
  return { sluice, kserve };
}

async function compareModel(model: BenchModel, log: (message: string) => void, scale: number): Promise<ProtocolComparison[]> {
  const server = await startScenarioServer({ models: [model.name] });
  const echo = await startEchoServer();
  try {
    const kserve = createKserveStub(server.server.address);
    try {
      const sluiceRequest = requestFactory(model);
      const kserveRequest = kserveRequestFactory(sluiceRequest);
      const serverPid = server.server.pid;
      const scaled = (b: BenchModel['budgets']['stream'], share = 1) => ({ ...b, seconds: b.seconds * scale * share });
      // Each protocol runs 2 x ROUNDS times: half the model's budget per run keeps the total near
      // what the model suite spends.
      const streamBudget = scaled(model.budgets.stream, 0.5);
      const unaryBudget = scaled(model.budgets.one, 0.5);
      log(`kserve: ${model.label}: echo, then Predict / ModelStreamInfer and PredictOne / ModelInfer, A-B-B-A`);
      const messageBytes = PredictRequest.encode(sluiceRequest('0')).finish().byteLength;
      const echoResult = await echo.measure(messageBytes, STREAM_WINDOW, scaled(model.budgets.echo));
      const echoUs = (echoResult.server.cpuSeconds / echoResult.items) * 1e6;

      const sluiceStream = () => measureStream({ stub: server.stub, serverPid, request: sluiceRequest, window: STREAM_WINDOW, budget: streamBudget });
      const kserveStream = () => measureModelStreamInfer({ stub: kserve, serverPid, request: kserveRequest, window: STREAM_WINDOW, budget: streamBudget });
      const streams = await alternate(sluiceStream, kserveStream);
      const sluiceOne = () => measurePredictOne({ client: server.client, serverPid, request: sluiceRequest, concurrency: UNARY_CONCURRENCY, budget: unaryBudget });
      const kserveOne = () => measureModelInfer({ stub: kserve, serverPid, request: kserveRequest, concurrency: UNARY_CONCURRENCY, budget: unaryBudget });
      const unary = await alternate(sluiceOne, kserveOne);

      const comparisons: ProtocolComparison[] = [];
      for (const [mode, runs] of [['stream', streams], ['unary', unary]] as const) {
        const meanBatch = runs.sluice.reduce((sum, r) => sum + r.meanBatch, 0) / runs.sluice.length;
        const rawBatch = rawBatchFor({ ...runs.sluice[0]!, meanBatch });
        const raw = await measureServerLayoutRaw(model, rawBatch);
        const rawUs = ((raw.cpuCores * raw.seconds) / raw.items) * 1e6;
        const sluice = pooled(runs.sluice, rawUs, echoUs);
        const kserveCost = pooled(runs.kserve, rawUs, echoUs);
        comparisons.push({ label: model.label, mode, rawCpuUsPerItem: rawUs, rawBatch, echoCpuUsPerItem: echoUs, sluice, kserve: kserveCost, relative: kserveCost.ratio / sluice.ratio });
      }
      return comparisons;
    } finally {
      kserve.close();
    }
  } finally {
    await echo.stop();
    await server.close();
  }
}

/** Runs the comparison for the tiny model and the classifier. */
export async function measureKserveProtocol(scale: number, log: (message: string) => void): Promise<ProtocolComparison[]> {
  const results: ProtocolComparison[] = [];
  for (const model of BENCH_MODELS.filter((m) => KSERVE_MODELS.includes(m.label))) results.push(...(await compareModel(model, log, scale)));
  return results;
}
