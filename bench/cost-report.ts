/**
 * The report's tables for the transport-cost scenarios: the overhead ratio's terms, encoded
 * images against the raw decode loop, live mode with JPEG frames, stream-count scaling and memory
 * under a byte budget. Each table appears only when its scenario ran.
 */
import type { CostResults, LiveJpegScenario } from './cost-scenarios.js';
import type { JpegResult } from './jpeg-scenario.js';
import { type Cell, bytes, markdownTable, num, ratio } from './markdown-table.js';
import type { MemoryResult } from './memory-scenario.js';
import type { OverheadResult } from './overhead-ratio.js';
import type { ScalingResult } from './stream-scaling.js';

/** The overhead ratio and its three terms, per model. */
export function overheadTable(overhead: readonly OverheadResult[]): string {
  const header = ['Model', 'Stream batch', 'Server CPU us/item', 'Raw ort', 'Raw CPU us/item', 'Echo message', 'Echo CPU us/msg', 'Overhead ratio'];
  return markdownTable(
    header,
    overhead.map((o) => [
      o.label,
      num(o.streamMeanBatch),
      num(o.serverCpuUsPerItem),
      `${o.rawLayout}, batch ${o.rawBatch}`,
      num(o.rawCpuUsPerItem),
      bytes(o.echoMessageBytes),
      num(o.echoCpuUsPerItem),
      o.ratio.toFixed(2),
    ]),
  );
}

function jpegRows(r: JpegResult): Cell[][] {
  const raw = r.raw;
  const s = r.stream;
  const perItem = (cpuSeconds: number, items: number): string => (items > 0 ? num((cpuSeconds / items) * 1e6) : '-');
  return [
    [r.label, `${r.frameSize}, ${bytes(r.frameBytes)}`, `raw decode + infer, ${raw.workers}x${raw.threads}`, String(raw.items), num(raw.itemsPerSec), num(raw.latency.p50Ms), num(raw.latency.p99Ms), num(raw.preprocess.p50Ms), num(raw.inference.p50Ms), num(raw.cpuCores), perItem(raw.cpuSeconds, raw.items), '-', '-'],
    [r.label, `${r.frameSize}, ${bytes(r.frameBytes)}`, `stream, window ${r.window}`, String(s.items), num(s.itemsPerSec), num(s.latency.p50Ms), num(s.latency.p99Ms), '-', num(s.inference.p50Ms), num(s.server.cpuCores), perItem(s.server.cpuSeconds, s.items), String(s.errors), ratio(r.streamVsRaw)],
  ];
}

/** JPEG frames: the raw loop and the stream, side by side. */
export function jpegTable(jpeg: readonly JpegResult[]): string {
  const header = ['Model', 'Frames', 'Scenario', 'Items', 'Items/s', 'p50 ms', 'p99 ms', 'Preprocess p50 ms', 'Inference p50 ms', 'Cores', 'CPU us/item', 'Errors', 'Stream / raw'];
  return markdownTable(header, jpeg.flatMap(jpegRows));
}

/** Live mode with JPEG frames, every frame accounted for. */
export function liveJpegTable(live: LiveJpegScenario): string {
  const r = live.result;
  const header = ['Target/s', 'Made', 'Sent', 'Answered', 'Dropped by server', 'Dropped by client', 'Unaccounted', 'Twice', 'p50 ms', 'p99 ms', 'Its inference p50 ms', 'One inference ms', 'p99 / inference', 'Windows client/server', 'Server cores'];
  const row = [
    num(r.targetRate),
    String(r.produced),
    String(r.sent),
    String(r.predictions + r.errors),
    String(r.droppedByServer),
    String(r.droppedByClient),
    String(r.unaccounted),
    String(r.duplicates),
    num(r.latency.p50Ms),
    num(r.latency.p99Ms),
    num(r.inference.p50Ms),
    num(live.inferenceMs),
    ratio(live.p99VsInference),
    `${r.clientWindow}/${r.serverWindow}`,
    num(r.server.cpuCores),
  ];
  const note = `Live JPEG: ${live.overload}x the detector's ${num(live.capacity)} frames/s (${live.capacitySource}); latency from the frame's making to its answer; one inference from the ${live.inferenceSource}.`;
  return `${note}\n\n${markdownTable(header, [row])}`;
}

/** Stream counts at the same total load. */
export function scalingTable(scaling: ScalingResult): string {
  const one = scaling.points.find((p) => p.streams === 1);
  const header = ['Streams', 'Connections', 'Items/s', 'vs 1 stream', 'p50 ms', 'p99 ms', 'Server cores', 'CPU us/item', 'Peak RSS MiB', 'RSS 0 streams MiB', 'RSS idle MiB', 'KB / idle stream', 'Unanswered'];
  const rows = scaling.points.map((p) => [
    String(p.streams),
    String(p.connections),
    num(p.load.itemsPerSec),
    ratio(one === undefined ? undefined : p.load.itemsPerSec / one.load.itemsPerSec),
    num(p.load.latency.p50Ms),
    num(p.load.latency.p99Ms),
    num(p.load.server.cpuCores),
    num((p.load.server.cpuSeconds / Math.max(1, p.load.sent)) * 1e6),
    num(p.load.server.maxRssMiB),
    num(p.baseRssMiB),
    num(p.idleRssMiB),
    num(p.rssPerStreamKiB),
    String(p.load.missing),
  ]);
  const missing = scaling.missingFlags.length > 0 ? ` The server does not know ${scaling.missingFlags.join(', ')}: its defaults applied.` : '';
  const note = `Streams: ${scaling.model}, ${scaling.ratePerSec} items/s in all for ${num(scaling.seconds)} s, at most ${scaling.perConnection} streams per connection, a fresh server per count.${missing}`;
  return `${note}\n\n${markdownTable(header, rows)}`;
}

/** Large frames against the byte budget. */
export function memoryTable(m: MemoryResult): string {
  const header = ['Streams', 'Frame', 'Window', 'Budget MiB', 'Enforced', 'RSS idle MiB', 'Peak RSS MiB', 'Peak - budget MiB', 'Answered', 'Items/s', 'Errors'];
  const row = [
    String(m.streams),
    bytes(m.frameBytes),
    String(m.window),
    num(m.budgetMiB),
    m.budgetEnforced ? 'yes' : 'no (no --max-inflight-bytes)',
    num(m.idleRssMiB),
    num(m.peakRssMiB),
    num(m.peakOverBudgetMiB),
    String(m.predictions),
    num(m.itemsPerSec),
    m.errors > 0 ? `${m.errors} (${m.firstError ?? ''})` : '0',
  ];
  return markdownTable(header, [row]);
}

/** Every table whose scenario ran, in the order the scenarios run. */
function kserveTable(comparisons: NonNullable<CostResults['kserve']>): string {
  const rows = comparisons.flatMap((c) =>
    (['sluice', 'kserve'] as const).map((protocol) => {
      const p = c[protocol];
      const call = c.mode === 'stream' ? (protocol === 'sluice' ? 'Predict' : 'ModelStreamInfer') : protocol === 'sluice' ? 'PredictOne c16' : 'ModelInfer c16';
      return [c.label, call, String(p.items), num(p.itemsPerSec), num(p.p50Ms), num(p.serverCpuUsPerItem), num(c.rawCpuUsPerItem), num(c.echoCpuUsPerItem), num(p.ratio), protocol === 'kserve' ? `${num(c.relative)}x` : '-'];
    }),
  );
  return markdownTable(['Model', 'Call', 'Items', 'Items/s', 'p50 ms', 'Server CPU us/item', 'Raw CPU us/item', 'Echo CPU us/msg', 'Overhead ratio', 'KServe / sluice'], rows);
}

export function costSections(overhead: readonly OverheadResult[], cost: CostResults): string[] {
  const sections: string[] = [];
  if (overhead.length > 0) sections.push(overheadTable(overhead));
  if (cost.jpeg !== undefined) sections.push(jpegTable(cost.jpeg));
  if (cost.liveJpeg !== undefined) sections.push(liveJpegTable(cost.liveJpeg));
  if (cost.scaling !== undefined) sections.push(scalingTable(cost.scaling));
  if (cost.memory !== undefined) sections.push(memoryTable(cost.memory));
  if (cost.kserve !== undefined) sections.push(kserveTable(cost.kserve));
  return sections;
}
