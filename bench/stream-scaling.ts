/**
 * How the cost of a stream grows: 1, 10, 100 and 1000 concurrent `Predict` streams of `tiny-cnn`
 * at the same total offered load, each count on a fresh server. For each: what an idle stream
 * costs in resident memory (the server's RSS with the streams open and no traffic, minus its RSS
 * with the connections open and no streams, per stream), then throughput, latency, CPU and peak
 * RSS under the load. Streams are spread over connections of at most `PER_CONNECTION` streams.
 */
import { requestFactory } from './bench-models.js';
import type { LoadResult } from './sluice-load.js';
import { measureStream } from './sluice-load.js';
import { medianRssMiB } from './proc-stats.js';
import { startScenarioServer } from './scenario-server.js';
import { supportedFlags } from './serve-flags.js';
import { type PacedRun, StreamFleet } from './stream-fleet.js';

/** Stream counts measured. */
export const STREAM_COUNTS: readonly number[] = [1, 10, 100, 1000];
/** Items per second offered in total, whatever the number of streams. */
export const SCALING_RATE = 1000;
/** Most streams on one connection. */
export const PER_CONNECTION = 100;
/** `max_in_flight` of each stream: enough that one stream alone carries the whole load. */
const WINDOW = 64;
/** Server limits, generous so that they never refuse the scenario's streams. */
const SERVER_FLAGS = { '--max-streams': '2000', '--max-streams-per-connection': '1000' };

/** `tiny-cnn` fed tensors, as the tiny scenarios are: a [1, 3, 32, 32] float32 image. */
const TINY_CNN = { name: 'tiny-cnn', inputs: [{ name: 'image', shape: [1, 3, 32, 32] }] } as const;
/** The warm-up stream on each server: saturating, window 32, one second after 200 items. */
const WARMUP = { window: 32, budget: { seconds: 1, maxItems: Number.MAX_SAFE_INTEGER, warmupItems: 200 } } as const;

/** One stream count. */
export interface ScalingPoint {
  readonly streams: number;
  readonly connections: number;
  /** Server RSS with the connections open and no stream, in MiB (median over a second). */
  readonly baseRssMiB: number;
  /** Server RSS with every stream open and idle, in MiB. */
  readonly idleRssMiB: number;
  /** (idle - base) / streams, in KiB. */
  readonly rssPerStreamKiB: number;
  readonly load: PacedRun;
}

/** The whole scenario. */
export interface ScalingResult {
  readonly model: string;
  readonly ratePerSec: number;
  readonly seconds: number;
  readonly perConnection: number;
  /** Server flags the scenario wanted and the server did not know. */
  readonly missingFlags: readonly string[];
  /** The warm-up stream on each server (saturating, window 32), for reference. */
  readonly warmup: readonly LoadResult[];
  readonly points: readonly ScalingPoint[];
}

/** Runs every stream count, each on a fresh server, for `seconds` of load each. */
export async function measureStreamScaling(seconds: number, log: (message: string) => void): Promise<ScalingResult> {
  const flags = supportedFlags(SERVER_FLAGS);
  const request = requestFactory(TINY_CNN);
  const points: ScalingPoint[] = [];
  const warmup: LoadResult[] = [];
  for (const streams of STREAM_COUNTS) {
    log(`streams: ${streams} stream(s) of tiny-cnn at ${SCALING_RATE} items/s in all`);
    const server = await startScenarioServer({ models: ['tiny-cnn'], extraArgs: flags.args });
    try {
      // Warm workers, sessions and the JIT on a stream of its own, closed before anything is measured.
      warmup.push(await measureStream({ stub: server.stub, serverPid: server.server.pid, request, ...WARMUP }));
      const fleet = await StreamFleet.connect({ address: server.server.address, streams, perConnection: PER_CONNECTION, window: WINDOW, request });
      try {
        const baseRssMiB = await medianRssMiB(server.server.pid);
        await fleet.open();
        const idleRssMiB = await medianRssMiB(server.server.pid);
        const load = await fleet.runPaced(SCALING_RATE, seconds, server.server.pid);
        points.push({ streams, connections: fleet.connections, baseRssMiB, idleRssMiB, rssPerStreamKiB: ((idleRssMiB - baseRssMiB) * 1024) / streams, load });
      } finally {
        await fleet.close();
      }
    } finally {
      await server.close();
    }
  }
  return { model: TINY_CNN.name, ratePerSec: SCALING_RATE, seconds, perConnection: PER_CONNECTION, missingFlags: flags.missing, warmup, points };
}
