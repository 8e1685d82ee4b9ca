/**
 * `npm run bench`: measures Sluice against raw onnxruntime and a plain gRPC echo, for a tiny, a
 * small and a large model, prints the tables and writes everything to
 * `bench/results/<iso time>.json`. Scenarios behind missed targets are run again under node's CPU
 * profiler and their top self time is printed.
 *
 * Flags: `--quick` (budgets cut to a third, for trying changes), `--profile missed|all|none`
 * (which targets' scenarios to profile; default missed), `--models tiny,cls,det` (a subset;
 * targets need their models).
 */
import { measureOcrPipeline } from './ocr-scenario.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import { BENCH_MODELS, type BenchModel, requestFactory, scaleBudgets } from './bench-models.js';
import { REPO_ROOT } from './child-process.js';
import { type ClockWindow, monotonicUs, summariseProfiles } from './cpu-profile.js';
import { type EchoServer, startEchoServer } from './echo-service.js';
import { createModelsDir } from './models-dir.js';
import { RAW_LAYOUTS, layoutName, measureRawOnnx } from './raw-onnx.js';
import { formatReport } from './report.js';
import type { BenchResults, Environment, ModelResults, ProfileResult, TargetResult } from './results.js';
import { startSluice } from './server-process.js';
import { type Connection, LIVE_OVERLOAD, connect, runLiveScenario, runLoadScenario } from './sluice-scenarios.js';
import { computeRatios, evaluateTargets } from './targets.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
const startedAt = new Date();
const clock = performance.now();

function log(message: string): void {
  process.stderr.write(`[${((performance.now() - clock) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function requestBytes(model: BenchModel): number {
  return PredictRequest.encode(requestFactory(model)('0')).finish().byteLength;
}

/** The servers every model is measured against, up for the whole run (idle ones cost nothing). */
interface Servers {
  readonly echo: EchoServer;
  readonly withBatching: Connection;
  readonly withoutBatching: Connection;
  close(): Promise<void>;
}

/** Starts the echo server and two Sluice servers: the repository's batching and batching off. */
async function startServers(models: readonly BenchModel[]): Promise<Servers> {
  const names = models.map((m) => m.name);
  const dirs = [createModelsDir({ models: names, batching: true }), createModelsDir({ models: names, batching: false })];
  const started: { stop(): Promise<void> }[] = [];
  const connections: Connection[] = [];
  const close = async (): Promise<void> => {
    for (const c of connections) c.close();
    await Promise.all(started.map((s) => s.stop()));
    for (const dir of dirs) dir.remove();
  };
  try {
    const echo = await startEchoServer();
    started.push(echo);
    for (const dir of dirs) {
      const server = await startSluice({ modelsDir: dir.path });
      started.push(server);
      connections.push(await connect(server));
    }
    const [withBatching, withoutBatching] = connections as [Connection, Connection];
    return { echo, withBatching, withoutBatching, close };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}

/**
 * Every scenario of one model, back to back, so that the ratios compare measurements taken close
 * together on a machine whose other load comes and goes.
 */
async function measureModel(model: BenchModel, servers: Servers): Promise<ModelResults> {
  log(`${model.label}: raw onnxruntime (${model.name}), layouts ${RAW_LAYOUTS.map(layoutName).join(' ')}, batches ${model.rawBatches.join(' ')}`);
  const modelPath = join(REPO_ROOT, 'models', model.name, 'model.onnx');
  const raw = await measureRawOnnx({ modelPath, inputs: model.inputs, batches: model.rawBatches, layouts: RAW_LAYOUTS, budget: model.budgets.raw });
  const bytes = requestBytes(model);
  log(`${model.label}: echo of ${bytes}-byte messages, window ${model.streamWindow}`);
  const echo = await servers.echo.measure(bytes, model.streamWindow, model.budgets.echo);
  log(`${model.label}: PredictOne at concurrency 1 and 16`);
  const oneC1 = await runLoadScenario(servers.withBatching, model, 'one-c1');
  const oneC16 = await runLoadScenario(servers.withBatching, model, 'one-c16');
  log(`${model.label}: stream, batching off and on`);
  const streamOff = await runLoadScenario(servers.withoutBatching, model, 'stream');
  const streamOn = await runLoadScenario(servers.withBatching, model, 'stream');
  log(`${model.label}: live mode at ${LIVE_OVERLOAD} x ${streamOn.itemsPerSec.toFixed(1)} items/s`);
  const live = await runLiveScenario(servers.withBatching, model, streamOn.itemsPerSec);
  return { label: model.label, name: model.name, requestBytes: bytes, streamWindow: model.streamWindow, raw, echo, oneC1, oneC16, streamOff, streamOn, live };
}

/** Runs the scenario behind each given target again on a server under `--cpu-prof`. */
async function profileTargets(models: readonly BenchModel[], results: readonly ModelResults[], targets: readonly TargetResult[], stamp: string): Promise<ProfileResult[]> {
  const byScenario = new Map<string, TargetResult[]>();
  for (const target of targets) {
    const key = `${target.profile.label}-${target.profile.scenario}`;
    byScenario.set(key, [...(byScenario.get(key) ?? []), target]);
  }
  const profiles: ProfileResult[] = [];
  for (const [key, behind] of byScenario) {
    const { label, scenario } = (behind[0] as TargetResult).profile;
    const model = models.find((m) => m.label === label);
    const measured = results.find((m) => m.label === label);
    if (model === undefined || measured === undefined) continue;
    log(`profiling: ${label} ${scenario} (for ${behind.map((t) => t.id).join(', ')})`);
    const dir = join(RESULTS_DIR, 'profiles', stamp, key);
    const modelsDir = createModelsDir({ models: [model.name], batching: scenario !== 'stream-off' });
    let window: ClockWindow;
    try {
      const server = await startSluice({ modelsDir: modelsDir.path, cpuProfileDir: dir });
      const connection = await connect(server);
      try {
        const fromUs = monotonicUs();
        if (scenario === 'one-c1') await runLoadScenario(connection, model, 'one-c1');
        else if (scenario === 'live') await runLiveScenario(connection, model, measured.streamOn.itemsPerSec);
        else await runLoadScenario(connection, model, 'stream');
        window = { fromUs, toUs: monotonicUs() };
      } finally {
        connection.close();
        await server.stop();
      }
    } finally {
      modelsDir.remove();
    }
    profiles.push({ label, scenario, targets: behind.map((t) => t.id), dir: relative(REPO_ROOT, dir), threads: summariseProfiles(dir, window) });
  }
  return profiles;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, profile: { type: 'string', default: 'missed' }, models: { type: 'string' } },
  });
  const profile = values.profile ?? 'missed';
  if (!['missed', 'all', 'none'].includes(profile)) throw new Error(`--profile takes missed, all or none, not ${profile}`);
  const wanted = values.models?.split(',');
  const models = BENCH_MODELS.filter((m) => wanted === undefined || wanted.includes(m.label)).map((m) => (values.quick ? scaleBudgets(m, 1 / 3) : m));
  if (models.length === 0 && !(wanted ?? []).includes('ocr')) throw new Error(`--models takes a comma-separated subset of ${BENCH_MODELS.map((m) => m.label).join(',')}`);
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const loadAverageBefore = loadavg();

  const modelResults: ModelResults[] = [];
  if (models.length > 0) {
    const servers = await startServers(models);
    try {
      for (const model of models) modelResults.push(await measureModel(model, servers));
    } finally {
      await servers.close();
    }
  }
  const withOcr = wanted === undefined || wanted.includes('ocr');
  const ocrBudget = { seconds: values.quick ? 3 : 8, maxItems: Number.MAX_SAFE_INTEGER, warmupItems: 4 };
  if (withOcr) log('ocr: the pipeline on rendered 640x360 frames of moving text');
  const ocr = withOcr ? await measureOcrPipeline(ocrBudget) : undefined;
  const ratios = modelResults.map(computeRatios);
  const targets = evaluateTargets(modelResults, ratios);
  const toProfile = profile === 'all' ? targets : profile === 'missed' ? targets.filter((t) => !t.met) : [];
  const profiles = await profileTargets(models, modelResults, toProfile, stamp);

  const environment: Environment = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverageBefore,
    loadAverageAfter: loadavg(),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  };
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    seconds: (performance.now() - clock) / 1000,
    quick: values.quick === true,
    environment,
    models: modelResults,
    ratios,
    targets,
    profiles,
    ocr,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(formatReport(results));
  process.stdout.write(`results: ${relative(process.cwd(), file)}\n`);
}

await main();
