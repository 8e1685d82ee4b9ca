/**
 * `npm run bench`: measures Sluice against raw onnxruntime and a plain gRPC echo, for a tiny, a
 * small and a large model, prints the tables and writes everything to
 * `bench/results/<iso time>.json`. Scenarios behind missed targets are run again under node's CPU
 * profiler and their top self time is printed.
 *
 * Flags: `--quick` (budgets cut to a third, for trying changes), `--profile missed|all|none`
 * (which targets' scenarios to profile; default missed), `--models tiny,cls,det` (a subset;
 * targets need their models), `--only models,overhead,ocr,jpeg,live-jpeg,streams,memory,kserve,nats`
 * (the scenarios to run; see `scenario-selection.ts`). `nats` needs `nats-server`; its message count
 * is `SLUICE_BENCH_NATS_MESSAGES` (see `nats-scenario.ts`).
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
import { createModelsDir } from './models-dir.js';
import { RAW_LAYOUTS, layoutName, measureRawOnnx } from './raw-onnx.js';
import { type Servers, startServers } from './bench-servers.js';
import { runCostScenarios } from './cost-scenarios.js';
import { evaluateCostTargets } from './cost-targets.js';
import { type OverheadResult, SERVER_LAYOUT, measureOverhead, measureServerLayoutRaw, overheadOf, rawBatchFor, serverLayoutRaw } from './overhead-ratio.js';
import { natsServerBinary } from './nats-broker.js';
import { measureNats } from './nats-scenario.js';
import { evaluateNatsTargets } from './nats-targets.js';
import { formatReport } from './report.js';
import type { BenchResults, Environment, ModelResults, ProfileResult, ProfileScenario, TargetResult } from './results.js';
import { selectScenarios } from './scenario-selection.js';
import { startSluice } from './server-process.js';
import { LIVE_OVERLOAD, connect, runLiveScenario, runLoadScenario } from './sluice-scenarios.js';
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

/**
 * Every scenario of one model, back to back, so that the ratios compare measurements taken close
 * together on a machine whose other load comes and goes.
 */
async function measureModel(model: BenchModel, servers: Servers): Promise<{ results: ModelResults; overhead: OverheadResult }> {
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
  const rawBatch = rawBatchFor(streamOn);
  let rawAtBatch = serverLayoutRaw(raw, rawBatch);
  if (rawAtBatch === undefined) {
    log(`${model.label}: raw onnxruntime ${layoutName(SERVER_LAYOUT)} at the stream's batch size, ${rawBatch}, for the overhead ratio`);
    rawAtBatch = await measureServerLayoutRaw(model, rawBatch);
  }
  return {
    results: { label: model.label, name: model.name, requestBytes: bytes, streamWindow: model.streamWindow, raw, echo, oneC1, oneC16, streamOff, streamOn, live },
    overhead: overheadOf(model.label, streamOn, echo, rawAtBatch),
  };
}

/** Runs the scenario behind each given target again on a server under `--cpu-prof`. */
async function profileTargets(models: readonly BenchModel[], results: readonly ModelResults[], targets: readonly TargetResult[], stamp: string): Promise<ProfileResult[]> {
  const byScenario = new Map<string, { scenario: ProfileScenario; targets: TargetResult[] }>();
  for (const target of targets) {
    if (target.profile === undefined) continue;
    const key = `${target.profile.label}-${target.profile.scenario}`;
    const entry = byScenario.get(key) ?? { scenario: target.profile, targets: [] };
    entry.targets.push(target);
    byScenario.set(key, entry);
  }
  const profiles: ProfileResult[] = [];
  for (const [key, { scenario: where, targets: behind }] of byScenario) {
    const { label, scenario } = where;
    const model = models.find((m) => m.label === label);
    const measured = results.find((m) => m.label === label);
    // Live mode's rate comes from the measured stream; the other scenarios need only the model.
    if (model === undefined || (scenario === 'live' && measured === undefined)) continue;
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
        else if (scenario === 'live' && measured !== undefined) await runLiveScenario(connection, model, measured.streamOn.itemsPerSec);
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
    options: { quick: { type: 'boolean', default: false }, profile: { type: 'string', default: 'missed' }, models: { type: 'string' }, only: { type: 'string' } },
  });
  const profile = values.profile ?? 'missed';
  if (!['missed', 'all', 'none'].includes(profile)) throw new Error(`--profile takes missed, all or none, not ${profile}`);
  const wanted = values.models?.split(',');
  const selected = selectScenarios(values.only, wanted);
  // Checked before anything runs, not after minutes of other scenarios.
  if (selected.has('nats') && natsServerBinary() === undefined) {
    throw new Error('the nats scenario needs nats-server (apt-get install nats-server, or NATS_SERVER=/path/to/it); leave it out with --only');
  }
  const scale = values.quick ? 1 / 3 : 1;
  const models = BENCH_MODELS.filter((m) => wanted === undefined || wanted.includes(m.label)).map((m) => (values.quick ? scaleBudgets(m, scale) : m));
  const withModels = selected.has('models') || selected.has('overhead');
  if (withModels && models.length === 0) throw new Error(`--models takes a comma-separated subset of ${BENCH_MODELS.map((m) => m.label).join(',')}`);
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const loadAverageBefore = loadavg();

  const modelResults: ModelResults[] = [];
  const overhead: OverheadResult[] = [];
  if (withModels) {
    const servers = await startServers(models);
    try {
      for (const model of models) {
        if (selected.has('models')) {
          const measured = await measureModel(model, servers);
          modelResults.push(measured.results);
          overhead.push(measured.overhead);
        } else {
          log(`${model.label}: overhead ratio: echo, stream with batching, raw onnxruntime at the stream's batch size`);
          overhead.push(await measureOverhead(model, servers, requestBytes(model)));
        }
      }
    } finally {
      await servers.close();
    }
  }
  const ocrBudget = { seconds: values.quick ? 3 : 8, maxItems: Number.MAX_SAFE_INTEGER, warmupItems: 4 };
  if (selected.has('ocr')) log('ocr: the pipeline on rendered 640x360 frames of moving text');
  const ocr = selected.has('ocr') ? await measureOcrPipeline(ocrBudget) : undefined;
  const cost = await runCostScenarios(selected, scale, log);
  const nats = selected.has('nats') ? await measureNats(scale, log) : undefined;
  const ratios = modelResults.map(computeRatios);
  const targets = [...evaluateTargets(modelResults, ratios), ...evaluateCostTargets(overhead, cost), ...(nats === undefined ? [] : evaluateNatsTargets(nats))];
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
    scenarios: [...selected],
    environment,
    models: modelResults,
    ratios,
    overhead,
    targets,
    profiles,
    ocr,
    nats,
    ...cost,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(formatReport(results));
  process.stdout.write(`results: ${relative(process.cwd(), file)}\n`);
}

await main();
