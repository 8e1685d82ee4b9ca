/**
 * Ratios of Sluice to its baselines, and the targets checked against them.
 *
 * "The limit" of a model is its fastest raw layout at batch 1 (in practice 2 single-threaded
 * sessions in 2 worker threads, which is also the server's own layout): the most items/s this
 * machine gets from the model without a server. The latency reference is one single-threaded
 * session's p50, which is what one server worker runs.
 */
import type { ModelLabel } from './bench-models.js';
import { layoutName } from './raw-onnx.js';
import type { ModelRatios, ModelResults, TargetResult } from './results.js';

function fastest(results: ModelResults['raw'], batch: number): ModelResults['raw'][number] | undefined {
  return results.filter((r) => r.batch === batch).reduce<ModelResults['raw'][number] | undefined>((best, r) => (best === undefined || r.itemsPerSec > best.itemsPerSec ? r : best), undefined);
}

/** Sluice against the raw loop and the echo server, for one model. */
export function computeRatios(model: ModelResults): ModelRatios {
  const limit = fastest(model.raw, 1);
  const batched = fastest(model.raw, 8);
  const single = model.raw.find((r) => r.batch === 1 && r.sessions === 1 && r.threads === 1);
  if (limit === undefined || single === undefined) throw new Error(`no raw batch-1 results for ${model.label}`);
  const stream = model.streamOn.itemsPerSec;
  return {
    label: model.label,
    rawLimit: { layout: layoutName(limit), itemsPerSec: limit.itemsPerSec },
    rawInferenceMs: single.latency.p50Ms,
    streamVsRaw: stream / limit.itemsPerSec,
    streamOffVsRaw: model.streamOff.itemsPerSec / limit.itemsPerSec,
    streamVsRawBatched: batched === undefined ? undefined : stream / batched.itemsPerSec,
    batchingGain: stream / model.streamOff.itemsPerSec,
    streamVsEcho: stream / model.echo.msgsPerSec,
    cpuPerItemVsEcho: model.streamOn.server.cpuSeconds / model.streamOn.items / (model.echo.server.cpuSeconds / model.echo.items),
    c1LatencyAboveRawMs: model.oneC1.latency.p50Ms - single.latency.p50Ms,
  };
}

const f2 = (n: number): string => n.toFixed(2);

/** The targets, each met or missed, with the value measured. */
export function evaluateTargets(models: readonly ModelResults[], ratios: readonly ModelRatios[]): TargetResult[] {
  const pick = <T extends { label: ModelLabel }>(list: readonly T[], label: ModelLabel): T | undefined => list.find((m) => m.label === label);
  const targets: TargetResult[] = [];
  const det = pick(ratios, 'det');
  if (det !== undefined) {
    targets.push({
      id: 'det-throughput',
      description: 'detector stream throughput >= 0.95x raw',
      measured: `${f2(det.streamVsRaw)}x (${f2(pick(models, 'det')?.streamOn.itemsPerSec ?? 0)} vs ${f2(det.rawLimit.itemsPerSec)} items/s)`,
      met: det.streamVsRaw >= 0.95,
      profile: { label: 'det', scenario: 'stream-on' },
    });
  }
  const cls = pick(ratios, 'cls');
  if (cls !== undefined) {
    targets.push({
      id: 'cls-latency',
      description: 'classifier p50 at concurrency 1 <= raw inference + 1 ms',
      measured: `+${f2(cls.c1LatencyAboveRawMs)} ms (${f2(pick(models, 'cls')?.oneC1.latency.p50Ms ?? 0)} vs ${f2(cls.rawInferenceMs)} ms)`,
      met: cls.c1LatencyAboveRawMs <= 1,
      profile: { label: 'cls', scenario: 'one-c1' },
    });
  }
  const tiny = pick(ratios, 'tiny');
  const tinyResults = pick(models, 'tiny');
  if (tiny !== undefined && tinyResults !== undefined) {
    targets.push({
      id: 'tiny-vs-echo',
      description: 'tiny model over one stream >= 0.6x echo rate',
      measured: `${f2(tiny.streamVsEcho)}x (${tinyResults.streamOn.itemsPerSec.toFixed(0)} vs ${tinyResults.echo.msgsPerSec.toFixed(0)} msg/s)`,
      met: tiny.streamVsEcho >= 0.6,
      profile: { label: 'tiny', scenario: 'stream-on' },
    });
    targets.push({
      id: 'tiny-batching',
      description: 'batching >= 1.3x batching-off, tiny model at saturation',
      measured: `${f2(tiny.batchingGain)}x (${tinyResults.streamOn.itemsPerSec.toFixed(0)} vs ${tinyResults.streamOff.itemsPerSec.toFixed(0)} items/s)`,
      met: tiny.batchingGain >= 1.3,
      profile: { label: 'tiny', scenario: 'stream-off' },
    });
  }
  const detResults = pick(models, 'det');
  if (det !== undefined && detResults !== undefined) {
    const live = detResults.live;
    const times = live.latency.p99Ms / det.rawInferenceMs;
    targets.push({
      id: 'live-latency',
      description: 'live mode (detector, 2x overload): p99 <= 3x one inference',
      measured: `${f2(times)}x (p99 ${live.latency.p99Ms.toFixed(0)} ms, inference ${det.rawInferenceMs.toFixed(0)} ms)`,
      met: times <= 3,
      profile: { label: 'det', scenario: 'live' },
    });
    targets.push({
      id: 'live-memory',
      description: 'live mode: flat server memory',
      measured: `${live.rss.firstMiB.toFixed(0)} -> ${live.rss.lastMiB.toFixed(0)} MiB (${live.rss.growthPct >= 0 ? '+' : ''}${live.rss.growthPct.toFixed(1)}%)`,
      met: live.rss.flat,
      profile: { label: 'det', scenario: 'live' },
    });
    targets.push({
      id: 'live-answers',
      description: 'live mode: every frame answered or reported dropped',
      measured: `${live.sent} sent, ${live.predictions + live.errors} answered, ${live.dropped} dropped, ${live.missing} missing, ${live.duplicates} twice, ${live.skipped} not taken`,
      met: live.allAnswered,
      profile: { label: 'det', scenario: 'live' },
    });
  }
  return targets;
}
