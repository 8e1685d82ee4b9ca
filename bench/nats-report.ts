/**
 * The report's section for the NATS JetStream scenario: the `Predict` stream and each JetStream
 * run side by side, the broker's CPU apart from the servers', and the ratios the issue asks for.
 */
import { type Cell, bytes, markdownTable, num, ratio } from './markdown-table.js';
import type { NatsResult, NatsRun } from './nats-scenario.js';

const HEADER = [
  'Path', 'Replicas', 'Client bound', 'Items', 'Items/s', 'p50 ms', 'p90 ms', 'p99 ms',
  'Server cores', 'Server CPU us/item', 'NATS cores', 'NATS CPU us/item', 'Load cores', 'Other cores', 'Errors', 'Missing', 'Twice',
];

function streamRow(r: NatsResult): Cell[] {
  const s = r.stream;
  const others = s.server.machineCores - s.server.cpuCores - s.loadCpuCores;
  return [
    'Predict stream', '1', `window ${r.streamWindow}`, String(s.items), num(s.itemsPerSec), num(s.latency.p50Ms), num(s.latency.p90Ms), num(s.latency.p99Ms),
    num(s.server.cpuCores), num(r.streamCpuUsPerItem), '-', '-', num(s.loadCpuCores), num(Math.max(0, others)), String(s.errors), '-', '-',
  ];
}

function jetstreamRow(run: NatsRun): Cell[] {
  const l = run.load;
  const serverCores = l.servers.reduce((sum, s) => sum + s.cpuCores, 0);
  const machine = l.broker.machineCores;
  const others = machine - serverCores - l.broker.cpuCores - l.loadCpuCores;
  return [
    'JetStream', String(run.replicas), run.backlog > 0 ? `${run.backlog} unanswered` : 'PubAcks only', String(l.answered), num(l.itemsPerSec),
    num(l.latency.p50Ms), num(l.latency.p90Ms), num(l.latency.p99Ms), num(serverCores), num(run.serverCpuUsPerItem), num(l.broker.cpuCores),
    num(run.brokerCpuUsPerItem), num(l.loadCpuCores), num(Math.max(0, others)), String(l.errors + l.publishErrors), String(l.missing), String(l.duplicates),
  ];
}

/** The table, the ratios and what the figures mean. */
export function natsSection(r: NatsResult): string {
  const note =
    `NATS JetStream: ${r.model} on ${r.frameSize} JPEGs (${bytes(r.frameBytes)}), ${r.messages} measured messages per path after ${r.warmup} of warm-up; ` +
    `binding maxInFlight ${r.maxInFlight} per replica, replicas sharing one durable consumer. Latency is publish to result (write to answer for the stream), ` +
    'so it includes the wait behind the messages let in ahead (Client bound). Server CPU is the sum over replicas; NATS is the broker.';
  const one = r.runs.find((run) => run.replicas === 1);
  const lines = [
    `JetStream vs Predict stream (1 replica): server CPU per item ${ratio(r.jetstreamVsStream.cpuPerItem)}, throughput ${ratio(r.jetstreamVsStream.throughput)}` +
      (one === undefined ? '' : `; the broker adds ${num(one.brokerCpuUsPerItem)} us/item`),
  ];
  if (r.twoVsOne !== undefined) {
    lines.push(`JetStream 2 replicas vs 1: throughput ${ratio(r.twoVsOne.throughput)}, server CPU per item ${ratio(r.twoVsOne.cpuPerItem)} (the replicas share the machine's cores with the broker and the load generator)`);
  }
  const accounts = r.runs.map(
    (run) =>
      `${run.replicas} replica(s): ${run.broker.storedResults} results stored, ${run.broker.redelivered} redelivered, ${run.broker.ackPending} unacknowledged, ${run.broker.pending} undelivered` +
      (run.load.firstError === undefined ? '' : `; first error ${run.load.firstError}`),
  );
  return `${note}\n\n${markdownTable(HEADER, [streamRow(r), ...r.runs.map(jetstreamRow)])}\n\n${lines.join('\n')}\nBroker: ${accounts.join('; ')}`;
}
