/**
 * Renders a run as Markdown tables (readable in a terminal, pasteable into the README): every
 * scenario, live mode, the ratios, the targets and the profiles of missed targets.
 */
import type { OcrResult } from './ocr-scenario.js';
import type { LatencySummary } from '../client/metrics/latency-recorder.js';
import type { LiveResult } from './live-load.js';
import { layoutName } from './raw-onnx.js';
import type { BenchResults, ModelRatios, ModelResults, ProfileResult, TargetResult } from './results.js';
import { LIVE_OVERLOAD, LIVE_WINDOW } from './sluice-scenarios.js';
import type { LoadResult } from './sluice-load.js';
import { type Cell, bytes, markdownTable, num, ratio } from './markdown-table.js';
import { costSections } from './cost-report.js';
import { natsSection } from './nats-report.js';
import type { OverheadResult } from './overhead-ratio.js';

const latencyCells = (l: LatencySummary): Cell[] => [num(l.p50Ms), num(l.p90Ms), num(l.p99Ms)];

const SCENARIO_HEADER = ['Model', 'Scenario', 'Items', 'Items/s', 'p50 ms', 'p90 ms', 'p99 ms', 'Overhead p50 ms', 'Batch', 'Cores', 'CPU us/item', 'Load cores', 'Other cores', 'Peak RSS MiB'];

const perItemUs = (cpuSeconds: number, items: number): string => (items > 0 ? num((cpuSeconds / items) * 1e6) : '-');

function sluiceRow(label: string, scenario: string, r: LoadResult | LiveResult, items: number, perSec: number): Cell[] {
  const others = r.server.machineCores - r.server.cpuCores - r.loadCpuCores;
  return [
    label,
    scenario,
    String(items),
    num(perSec),
    ...latencyCells(r.latency),
    num(r.overhead.p50Ms),
    num(r.meanBatch),
    num(r.server.cpuCores),
    perItemUs(r.server.cpuSeconds, items),
    num(r.loadCpuCores),
    num(Math.max(0, others)),
    num(r.server.maxRssMiB),
  ];
}

function modelRows(m: ModelResults): Cell[][] {
  const rows: Cell[][] = m.raw.map((r) => [
    m.label,
    `raw ort ${layoutName(r)}, batch ${r.batch}`,
    String(r.items),
    num(r.itemsPerSec),
    ...latencyCells(r.latency),
    '-',
    String(r.batch),
    num(r.cpuCores),
    perItemUs(r.cpuCores * r.seconds, r.items),
    '-',
    num(Math.max(0, r.machineCores - r.cpuCores)),
    '-',
  ]);
  const e = m.echo;
  rows.push([
    m.label,
    `echo, ${bytes(e.messageBytes)}, window ${e.window}`,
    String(e.items),
    num(e.msgsPerSec),
    ...latencyCells(e.latency),
    '-',
    '-',
    num(e.server.cpuCores),
    perItemUs(e.server.cpuSeconds, e.items),
    num(e.loadCpuCores),
    num(Math.max(0, e.server.machineCores - e.server.cpuCores - e.loadCpuCores)),
    num(e.server.maxRssMiB),
  ]);
  rows.push(sluiceRow(m.label, 'PredictOne, concurrency 1', m.oneC1, m.oneC1.items, m.oneC1.itemsPerSec));
  rows.push(sluiceRow(m.label, 'PredictOne, concurrency 16', m.oneC16, m.oneC16.items, m.oneC16.itemsPerSec));
  rows.push(sluiceRow(m.label, `stream, window ${m.streamWindow}, batching off`, m.streamOff, m.streamOff.items, m.streamOff.itemsPerSec));
  rows.push(sluiceRow(m.label, `stream, window ${m.streamWindow}, batching on`, m.streamOn, m.streamOn.items, m.streamOn.itemsPerSec));
  rows.push(sluiceRow(m.label, `live ${LIVE_OVERLOAD}x, drop oldest, window ${LIVE_WINDOW}`, m.live, m.live.sent, m.live.sentRate));
  return rows;
}

/** Every scenario of every model. */
export function scenarioTable(models: readonly ModelResults[]): string {
  return markdownTable(SCENARIO_HEADER, models.flatMap(modelRows));
}

/** Live mode in detail. */
export function liveTable(models: readonly ModelResults[], ratios: readonly ModelRatios[]): string {
  const header = ['Model', 'Target/s', 'Sent/s', 'Not taken', 'Answered', 'Dropped', 'Missing', 'Twice', 'p50 ms', 'p99 ms', 'p99 / inference', 'RSS first -> last MiB', 'Flat'];
  const rows = models.map((m) => {
    const l = m.live;
    const inference = ratios.find((r) => r.label === m.label)?.rawInferenceMs ?? Number.NaN;
    return [
      m.label,
      num(l.targetRate),
      num(l.sentRate),
      String(l.skipped),
      String(l.predictions + l.errors),
      `${l.dropped} (${(l.dropRate * 100).toFixed(0)}%)`,
      String(l.missing),
      String(l.duplicates),
      num(l.latency.p50Ms),
      num(l.latency.p99Ms),
      ratio(l.latency.p99Ms / inference),
      `${l.rss.firstMiB.toFixed(0)} -> ${l.rss.lastMiB.toFixed(0)}`,
      l.rss.flat ? 'yes' : 'no',
    ];
  });
  return markdownTable(header, rows);
}

/** Sluice against raw onnxruntime and against the echo server; the overhead ratio where measured. */
export function ratioTable(ratios: readonly ModelRatios[], overhead: readonly OverheadResult[]): string {
  const header = ['Model', 'Raw limit items/s', 'Stream / raw', 'Stream off / raw', 'Stream / raw batch 8', 'Batching on / off', 'Stream / echo', 'Server CPU per item / echo', '(Server - raw) / echo CPU', 'c=1 p50 - raw inference p50 ms'];
  const rows = ratios.map((r) => [
    r.label,
    `${num(r.rawLimit.itemsPerSec)} (${r.rawLimit.layout})`,
    ratio(r.streamVsRaw),
    ratio(r.streamOffVsRaw),
    ratio(r.streamVsRawBatched),
    ratio(r.batchingGain),
    ratio(r.streamVsEcho),
    ratio(r.cpuPerItemVsEcho),
    overhead.find((o) => o.label === r.label)?.ratio.toFixed(2) ?? '-',
    num(r.c1LatencyAboveRawMs),
  ]);
  return markdownTable(header, rows);
}

/** The issue's targets. */
export function targetTable(targets: readonly TargetResult[]): string {
  return markdownTable(
    ['Target', 'Measured', 'Status'],
    targets.map((t) => [t.description, t.measured, t.met ? 'met' : 'MISSED']),
  );
}

/** Top self time of each profiled scenario. */
export function profileText(profiles: readonly ProfileResult[]): string {
  return profiles
    .map((p) => {
      const parts = [`${p.label} ${p.scenario} (for ${p.targets.join(', ')}), profiles in ${p.dir}`];
      for (const t of p.threads) {
        const busy = t.totalMs - t.idleMs;
        parts.push(`  ${t.threads} (${t.files} thread${t.files > 1 ? 's' : ''}): ${(busy / 1000).toFixed(1)} s busy of ${(t.totalMs / 1000).toFixed(1)} s sampled`);
        parts.push(`    modules:   ${t.topModules.slice(0, 6).map((s) => `${s.name} ${s.pct}%`).join(', ')}`);
        for (const s of t.topFunctions.slice(0, 8)) parts.push(`    ${String(s.pct).padStart(5)}%  ${s.name}`);
      }
      return parts.join('\n');
    })
    .join('\n\n');
}

/** The whole run as text. */
export function formatReport(results: BenchResults): string {
  const env = results.environment;
  const sections = [
    `Sluice benchmark, ${results.startedAt}: node ${env.node}, ${env.cpus} x ${env.cpuModel}, load average before ${env.loadAverageBefore.map((n) => n.toFixed(2)).join(' ')}, commit ${env.commit}${env.dirty ? ' + uncommitted changes' : ''}${results.quick ? ' (QUICK: shortened budgets)' : ''}; scenarios ${results.scenarios.join(', ')}`,
  ];
  if (results.models.length > 0) {
    sections.push(scenarioTable(results.models), liveTable(results.models, results.ratios), ratioTable(results.ratios, results.overhead));
  }
  sections.push(...costSections(results.overhead, results));
  if (results.nats !== undefined) sections.push(natsSection(results.nats));
  if (results.targets.length > 0) sections.push(targetTable(results.targets));
  if (results.ocr !== undefined) sections.push(ocrLine(results.ocr));
  if (results.profiles.length > 0) sections.push(`CPU profiles of the scenarios behind missed targets (self time, % of busy time):\n\n${profileText(results.profiles)}`);
  sections.push(`${results.seconds.toFixed(0)} s in all`);
  return `${sections.join('\n\n')}\n`;
}

function ocrLine(ocr: OcrResult): string {
  const r = ocr.result;
  return `OCR pipeline (ocr: detector, orientation, recogniser), synthetic ${ocr.frameSize} frames of moving text, one stream, window ${ocr.window}: ${r.itemsPerSec.toFixed(1)} frames/s, latency p50 ${r.latency.p50Ms.toFixed(0)} ms, p99 ${r.latency.p99Ms.toFixed(0)} ms, ${r.errors} errors, ${ocr.linesPerFrame.toFixed(1)} lines read per frame`;
}
