/**
 * NATS JetStream ingestion against a `Predict` stream: `tiny-cnn` fed the 64x64 JPEG frames of the
 * jpeg scenario, first over one saturating `Predict` stream, then through a JetStream binding on
 * the same server (one replica), then with a second server bound to the same durable consumer
 * (two replicas sharing its messages). Every process is its own: the servers' CPU per item is the
 * sum over replicas, and the broker's is reported beside it, since the JetStream path moves work there.
 *
 * Latency is publish to result. At saturation it is mostly the wait for earlier messages, so it
 * follows how many are let in ahead: the stream keeps its window in flight, the JetStream producer
 * at most `backlog` messages unanswered (by default twice the bindings' windows, so that a fetch
 * always finds work). Measured messages: `SLUICE_BENCH_NATS_MESSAGES` (3000 by default);
 * `SLUICE_BENCH_NATS_BACKLOG=0` publishes with no bound but the PubAcks'.
 */
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect as connectNats } from '@nats-io/transport-node';
import { imageRequest } from '../client/index.js';
import type { Budget } from './bench-models.js';
import { type JetStreamLoadResult, measureJetStream } from './jetstream-load.js';
import { JPEG_MODELS, type JpegModel, encodeFrames } from './jpeg-frames.js';
import { createModelsDir } from './models-dir.js';
import { type NatsBroker, startNatsBroker } from './nats-broker.js';
import { type SluiceProcess, startSluice } from './server-process.js';
import { connect } from './sluice-scenarios.js';
import { type LoadResult, measureStream } from './sluice-load.js';

const TINY_CNN = JPEG_MODELS.find((m) => m.label === 'tiny-cnn') as JpegModel;

/** The binding every replica runs: one durable consumer (`sluice-bench`) that the replicas share. */
export const NATS_BINDING = Object.freeze({ name: 'bench', stream: 'BENCH', subject: 'bench.in.>', results: 'bench.out', maxInFlight: 64 });
/** Subject the frames are published to. */
const INPUT_SUBJECT = 'bench.in.frames';
const CONSUMER = `sluice-${NATS_BINDING.name}`;
const RESULTS_STREAM = `${NATS_BINDING.stream}_RESULTS`;
/** Replica counts measured, in order. */
const REPLICAS = [1, 2] as const;
const DEFAULT_MESSAGES = 3000;
/** Warm-up of each run, as the jpeg scenario warms its `tiny-cnn` stream. */
const WARMUP = 300;
/** The stream's run stops here even if its messages are not all sent (a count is what it runs to). */
const STREAM_MAX_SECONDS = 600;
/** How long the acks of a run's last messages may take to reach the broker. */
const ACK_WAIT_MS = 5000;

/** What the consumer and the results stream say about one run (differences over it). */
export interface BrokerAccount {
  /** Deliveries beyond the first. */
  readonly redelivered: number;
  /** Messages delivered and not acknowledged when the run was over. */
  readonly ackPending: number;
  /** Messages not yet delivered when the run was over. */
  readonly pending: number;
  /** Results the results stream kept (it drops a result whose id it already holds). */
  readonly storedResults: number;
}

/** One JetStream run. */
export interface NatsRun {
  readonly replicas: number;
  /** Messages unanswered at most; 0 for no bound. */
  readonly backlog: number;
  readonly load: JetStreamLoadResult;
  /** Over warm-up and measured messages alike. */
  readonly broker: BrokerAccount;
  /** Sum over the replicas. */
  readonly serverCpuUsPerItem: number;
  readonly brokerCpuUsPerItem: number;
}

/** The whole scenario. */
export interface NatsResult {
  readonly model: string;
  readonly frameSize: string;
  readonly frameBytes: number;
  readonly messages: number;
  readonly warmup: number;
  readonly maxInFlight: number;
  readonly streamWindow: number;
  readonly stream: LoadResult;
  readonly streamCpuUsPerItem: number;
  readonly runs: readonly NatsRun[];
  /** JetStream with one replica over the `Predict` stream. */
  readonly jetstreamVsStream: { readonly cpuPerItem: number; readonly throughput: number };
  /** Two replicas over one. */
  readonly twoVsOne: { readonly cpuPerItem: number; readonly throughput: number } | undefined;
}

/** A positive integer from the environment, or `fallback`; `allowZero` admits 0. */
function countFromEnv(name: string, fallback: number, allowZero = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`);
  return n;
}

function bindSpec(): string {
  const b = NATS_BINDING;
  return `name=${b.name},stream=${b.stream},subject=${b.subject},model=${TINY_CNN.name},results=${b.results},maxInFlight=${b.maxInFlight},create`;
}

interface BrokerCounters {
  readonly redelivered: number;
  readonly ackPending: number;
  readonly pending: number;
  readonly stored: number;
}

async function readCounters(jsm: JetStreamManager): Promise<BrokerCounters> {
  const consumer = await jsm.consumers.info(NATS_BINDING.stream, CONSUMER);
  const results = await jsm.streams.info(RESULTS_STREAM);
  return { redelivered: consumer.num_redelivered, ackPending: consumer.num_ack_pending, pending: consumer.num_pending, stored: results.state.messages };
}

/** The counters once the run's last acks are in (or `ACK_WAIT_MS` passed). */
async function settledCounters(jsm: JetStreamManager): Promise<BrokerCounters> {
  const until = Date.now() + ACK_WAIT_MS;
  let counters = await readCounters(jsm);
  while ((counters.ackPending > 0 || counters.pending > 0) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    counters = await readCounters(jsm);
  }
  return counters;
}

async function runJetStream(nc: NatsConnection, jsm: JetStreamManager, broker: NatsBroker, replicas: readonly SluiceProcess[], frames: readonly Buffer[], sizes: { messages: number; warmup: number; backlog: number | undefined }): Promise<NatsRun> {
  const backlog = sizes.backlog ?? 2 * NATS_BINDING.maxInFlight * replicas.length;
  const before = await readCounters(jsm);
  const load = await measureJetStream({
    nc,
    js: jetstream(nc),
    subject: INPUT_SUBJECT,
    results: NATS_BINDING.results,
    frames,
    contentType: 'image/jpeg',
    count: sizes.messages,
    warmup: sizes.warmup,
    backlog,
    idPrefix: `r${replicas.length}`,
    serverPids: replicas.map((r) => r.pid),
    brokerPid: broker.pid,
  });
  const after = await settledCounters(jsm);
  const items = Math.max(1, load.answered);
  return {
    replicas: replicas.length,
    backlog,
    load,
    broker: { redelivered: after.redelivered - before.redelivered, ackPending: after.ackPending, pending: after.pending, storedResults: after.stored - before.stored },
    serverCpuUsPerItem: (load.servers.reduce((sum, s) => sum + s.cpuSeconds, 0) / items) * 1e6,
    brokerCpuUsPerItem: (load.broker.cpuSeconds / items) * 1e6,
  };
}

/** Runs the scenario; `scale` multiplies the message counts (1/3 for `--quick`). */
export async function measureNats(scale: number, log: (message: string) => void): Promise<NatsResult> {
  const messages = Math.max(1, Math.round(countFromEnv('SLUICE_BENCH_NATS_MESSAGES', DEFAULT_MESSAGES) * scale));
  const warmup = Math.ceil(WARMUP * scale);
  const fixedBacklog = process.env.SLUICE_BENCH_NATS_BACKLOG === undefined ? undefined : countFromEnv('SLUICE_BENCH_NATS_BACKLOG', 0, true);
  const frames = await encodeFrames(TINY_CNN);
  const broker = await startNatsBroker();
  const dir = createModelsDir({ models: [TINY_CNN.name], batching: true });
  const servers: SluiceProcess[] = [];
  let nc: NatsConnection | undefined;
  try {
    const startReplica = async (): Promise<SluiceProcess> => {
      // One at a time: the first creates the streams and the consumer, the next finds them.
      const server = await startSluice({ modelsDir: dir.path, extraArgs: ['--nats', broker.url, '--bind', bindSpec()] });
      servers.push(server);
      return server;
    };
    const first = await startReplica();
    nc = await connectNats({ servers: broker.url });
    const jsm = await jetstreamManager(nc);
    const connection = await connect(first);
    let stream: LoadResult;
    try {
      log(`nats: ${TINY_CNN.name} on ${TINY_CNN.width}x${TINY_CNN.height} JPEGs over a Predict stream, window ${TINY_CNN.window}, ${messages} messages`);
      const budget: Budget = { seconds: STREAM_MAX_SECONDS, maxItems: messages, warmupItems: warmup };
      stream = await measureStream({
        stub: connection.stub,
        serverPid: first.pid,
        window: TINY_CNN.window,
        budget,
        request: (id) => imageRequest(TINY_CNN.name, frames[Number(id) % frames.length] as Buffer, id),
      });
    } finally {
      connection.close();
    }
    const runs: NatsRun[] = [];
    for (const replicas of REPLICAS) {
      while (servers.length < replicas) await startReplica();
      log(`nats: the same JPEGs through JetStream, ${replicas} replica(s), maxInFlight ${NATS_BINDING.maxInFlight}, ${messages} messages`);
      runs.push(await runJetStream(nc, jsm, broker, servers.slice(0, replicas), frames, { messages, warmup, backlog: fixedBacklog }));
    }
    const streamCpuUsPerItem = (stream.server.cpuSeconds / Math.max(1, stream.items)) * 1e6;
    const one = runs.find((r) => r.replicas === 1) as NatsRun;
    const two = runs.find((r) => r.replicas === 2);
    return {
      model: TINY_CNN.name,
      frameSize: `${TINY_CNN.width}x${TINY_CNN.height}`,
      frameBytes: Math.round(frames.reduce((sum, f) => sum + f.byteLength, 0) / frames.length),
      messages,
      warmup,
      maxInFlight: NATS_BINDING.maxInFlight,
      streamWindow: TINY_CNN.window,
      stream,
      streamCpuUsPerItem,
      runs,
      jetstreamVsStream: { cpuPerItem: one.serverCpuUsPerItem / streamCpuUsPerItem, throughput: one.load.itemsPerSec / stream.itemsPerSec },
      twoVsOne: two === undefined ? undefined : { cpuPerItem: two.serverCpuUsPerItem / one.serverCpuUsPerItem, throughput: two.load.itemsPerSec / one.load.itemsPerSec },
    };
  } finally {
    await nc?.close();
    // Servers before the broker: each drains its binding, which needs the broker to ack.
    const stopped = await Promise.allSettled(servers.map((s) => s.stop()));
    await broker.stop();
    dir.remove();
    const failed = stopped.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
