/**
 * The targets of "the request path at the cost of the transport": the overhead ratio per model,
 * encoded images against the raw decode loop, live mode with JPEG frames, stream-count scaling
 * and memory under a byte budget. Each is checked only when its scenario ran.
 */
import type { ModelLabel } from './bench-models.js';
import type { CostResults } from './cost-scenarios.js';
import { MEMORY_ALLOWANCE_MIB } from './memory-scenario.js';
import type { OverheadResult } from './overhead-ratio.js';
import type { TargetResult } from './results.js';

const f2 = (n: number): string => n.toFixed(2);

/** Overhead ratio at most this, per model. */
const MAX_OVERHEAD_RATIO = 1.0;
/** The detector on JPEG frames: stream items/s at least this share of the raw decode + infer loop's. */
const MIN_JPEG_VS_RAW = 0.9;
/** Live JPEG: p99 camera to answer at most this many inferences. */
const MAX_LIVE_P99_INFERENCES = 3;
/** Most streams' throughput at least this share of one stream's, at the same total load. */
const MIN_SCALING_THROUGHPUT = 0.9;
/** The KServe path's overhead ratio at most this multiple of the sluice.v1 path's. */
const MAX_KSERVE_RELATIVE = 1.1;
/** Resident memory of an idle stream at most this, in KiB. */
const MAX_KIB_PER_STREAM = 50;

const MODEL_NAMES: Readonly<Record<ModelLabel, string>> = { tiny: 'tiny model', cls: 'classifier', det: 'detector' };

function overheadTarget(o: OverheadResult): TargetResult {
  return {
    id: `overhead-${o.label}`,
    description: `${MODEL_NAMES[o.label]}: (server - raw ort) / echo CPU per item <= ${MAX_OVERHEAD_RATIO.toFixed(1)}`,
    measured: `${f2(o.ratio)} ((${o.serverCpuUsPerItem.toFixed(0)} - ${o.rawCpuUsPerItem.toFixed(0)}) / ${o.echoCpuUsPerItem.toFixed(0)} us)`,
    met: o.ratio <= MAX_OVERHEAD_RATIO,
    profile: { label: o.label, scenario: 'stream-on' },
  };
}

function kserveTarget(c: NonNullable<CostResults['kserve']>[number]): TargetResult {
  const calls = c.mode === 'stream' ? 'ModelStreamInfer vs Predict' : 'ModelInfer vs PredictOne';
  return {
    id: `kserve-${c.label}-${c.mode}`,
    description: `${MODEL_NAMES[c.label]}, ${calls}: KServe overhead ratio <= ${MAX_KSERVE_RELATIVE}x sluice.v1's`,
    measured: `${f2(c.relative)}x (${f2(c.kserve.ratio)} vs ${f2(c.sluice.ratio)}; ${c.kserve.serverCpuUsPerItem.toFixed(0)} vs ${c.sluice.serverCpuUsPerItem.toFixed(0)} us/item, ${c.kserve.errors + c.sluice.errors} errors)`,
    met: c.relative <= MAX_KSERVE_RELATIVE && c.kserve.errors === 0 && c.sluice.errors === 0,
  };
}

/** Every target whose scenario ran. */
export function evaluateCostTargets(overhead: readonly OverheadResult[], cost: CostResults): TargetResult[] {
  const targets = overhead.map(overheadTarget);
  for (const comparison of cost.kserve ?? []) targets.push(kserveTarget(comparison));
  const det = cost.jpeg?.find((r) => r.label === 'det');
  if (det !== undefined) {
    targets.push({
      id: 'jpeg-det-throughput',
      description: `detector on JPEG frames: stream >= ${MIN_JPEG_VS_RAW}x raw decode + infer loop`,
      measured: `${f2(det.streamVsRaw)}x (${f2(det.stream.itemsPerSec)} vs ${f2(det.raw.itemsPerSec)} items/s)`,
      met: det.streamVsRaw >= MIN_JPEG_VS_RAW && det.stream.errors === 0,
    });
  }
  const live = cost.liveJpeg;
  if (live !== undefined) {
    const r = live.result;
    targets.push({
      id: 'live-jpeg-latency',
      description: `live JPEG (detector, ${live.overload}x overload): p99 camera to answer <= ${MAX_LIVE_P99_INFERENCES}x one inference`,
      measured: `${f2(live.p99VsInference)}x (p99 ${r.latency.p99Ms.toFixed(0)} ms, inference ${live.inferenceMs.toFixed(0)} ms from the ${live.inferenceSource})`,
      met: live.p99VsInference <= MAX_LIVE_P99_INFERENCES,
    });
    targets.push({
      id: 'live-jpeg-accounted',
      description: 'live JPEG: every frame made answered or dropped, exactly once',
      measured: `${r.produced} made, ${r.predictions + r.errors} answered, ${r.droppedByServer} dropped by the server, ${r.droppedByClient} by the client, ${r.unaccounted} unaccounted, ${r.duplicates} twice, ${r.unknown} unknown`,
      met: r.unaccounted === 0 && r.duplicates === 0 && r.unknown === 0 && r.produced > 0,
    });
  }
  const scaling = cost.scaling;
  const one = scaling?.points.find((p) => p.streams === 1);
  const most = scaling?.points.at(-1);
  if (scaling !== undefined && one !== undefined && most !== undefined && most !== one) {
    const share = most.load.itemsPerSec / one.load.itemsPerSec;
    targets.push({
      id: 'streams-throughput',
      description: `${most.streams} streams: throughput >= ${MIN_SCALING_THROUGHPUT}x one stream's at the same total load`,
      measured: `${f2(share)}x (${most.load.itemsPerSec.toFixed(0)} vs ${one.load.itemsPerSec.toFixed(0)} items/s, ${most.load.missing} unanswered)`,
      met: share >= MIN_SCALING_THROUGHPUT && most.load.missing === 0 && most.load.streamErrors === 0,
    });
    targets.push({
      id: 'streams-rss',
      description: `${most.streams} idle streams: <= ${MAX_KIB_PER_STREAM} KB of server RSS per stream`,
      measured: `${most.rssPerStreamKiB.toFixed(1)} KB (${most.baseRssMiB.toFixed(0)} -> ${most.idleRssMiB.toFixed(0)} MiB)`,
      met: most.rssPerStreamKiB <= MAX_KIB_PER_STREAM,
    });
  }
  const memory = cost.memory;
  if (memory !== undefined) {
    targets.push({
      id: 'memory-budget',
      description: `${memory.streams} streams of ${(memory.frameBytes / 1024 / 1024).toFixed(0)} MiB frames: peak RSS <= budget + ${MEMORY_ALLOWANCE_MIB} MiB`,
      measured: `peak ${memory.peakRssMiB.toFixed(0)} MiB, budget ${memory.budgetMiB} MiB (${memory.peakOverBudgetMiB >= 0 ? '+' : ''}${memory.peakOverBudgetMiB.toFixed(0)})${memory.budgetEnforced ? '' : ', server has no --max-inflight-bytes'}, ${memory.predictions} answered`,
      met: memory.budgetEnforced && memory.peakOverBudgetMiB <= MEMORY_ALLOWANCE_MIB && memory.predictions > 0,
    });
  }
  return targets;
}
