/**
 * Live mode as a camera app runs it: JPEG frames made at a fixed rate whatever happens downstream
 * (twice what the detector sustains), dropped at the source by `latestOnly` while no frame can go,
 * sent over one `Predict` stream with `DROP_POLICY_DROP_OLDEST`. The client takes a frame only
 * when one of its slots is free (as many as the server has workers), so the frame it takes is the
 * freshest there is; the server's own window and drop policy are the safety net.
 *
 * Latency is camera to answer: from the moment the source made the frame, not the moment it was
 * sent, since a frame that waited in the client is as late for the user as one that waited in the
 * server. Every frame made must be accounted for: answered (a prediction or an error), dropped by
 * the server, or dropped by the client.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { imageRequest, latestOnly } from '../client/index.js';
import { InFlightLimit } from '../client/cli/in-flight-limit.js';
import { DropPolicy, type PredictResponse, StreamOptions } from '../gen/ts/sluice/v1/inference_service.js';
import { type ItemSummary, ItemStats, type Measured, startMeasuring } from './item-stats.js';
import type { Connection } from './sluice-scenarios.js';

/** Options of `measureLiveJpeg`. */
export interface LiveJpegLoad {
  readonly connection: Connection;
  readonly model: string;
  readonly frames: readonly Buffer[];
  /** Frames per second the camera makes. */
  readonly ratePerSec: number;
  readonly seconds: number;
  /** `stream_options.max_in_flight`. */
  readonly serverWindow: number;
  /** Frames sent and not yet answered that the client allows itself. */
  readonly clientWindow: number;
  /** How long to wait for the last answers once the camera stopped (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** A live run with JPEG frames. */
export interface LiveJpegResult extends ItemSummary, Measured {
  readonly targetRate: number;
  readonly serverWindow: number;
  readonly clientWindow: number;
  readonly produced: number;
  readonly sent: number;
  /** Frames `latestOnly` pushed out for fresher ones. */
  readonly droppedByClient: number;
  /** Answered `dropped` (also in `dropped`). */
  readonly droppedByServer: number;
  /** Frames made and neither answered (once) nor dropped by the client. */
  readonly unaccounted: number;
  /** Frames answered more than once, and answers to ids never sent. */
  readonly duplicates: number;
  readonly unknown: number;
  /** Seconds from the camera's last frame to the last answer. */
  readonly drainSeconds: number;
}

/** One frame as the camera made it. */
interface CameraFrame {
  readonly index: number;
  readonly madeAt: number;
}

/** Frames at `ratePerSec` for `seconds`, on the clock, whether or not anyone reads them in time. */
async function* camera(ratePerSec: number, seconds: number, counter: { produced: number }): AsyncGenerator<CameraFrame> {
  const start = performance.now();
  const total = Math.floor(ratePerSec * seconds);
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    counter.produced++;
    yield { index, madeAt: performance.now() };
  }
}

/** Runs the camera for `seconds`, then waits for every answer. */
export async function measureLiveJpeg(load: LiveJpegLoad): Promise<LiveJpegResult> {
  const options = StreamOptions.fromPartial({ maxInFlight: load.serverWindow, dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST });
  const stats = new ItemStats();
  const madeAt = new Map<number, number>();
  const answers = new Map<number, number>();
  const limit = new InFlightLimit(load.clientWindow);
  const counter = { produced: 0 };
  let droppedByClient = 0;
  let unknown = 0;
  let sent = 0;
  const call = load.connection.stub.predict();
  const finished = new Promise<boolean>((resolve) => {
    call.on('data', (response: PredictResponse) => {
      const index = Number(response.id);
      const made = madeAt.get(index);
      if (made === undefined) {
        unknown++;
        return;
      }
      const seen = (answers.get(index) ?? 0) + 1;
      answers.set(index, seen);
      if (seen > 1) return;
      limit.release();
      stats.add(response, performance.now() - made);
    });
    call.on('end', () => resolve(true));
    call.on('error', () => resolve(false));
  });

  const stop = new AbortController();
  const end = startMeasuring(load.connection.server.pid);
  const frames = latestOnly(camera(load.ratePerSec, load.seconds, counter), { onDrop: () => droppedByClient++, signal: stop.signal })[Symbol.asyncIterator]();
  const ended = finished.then(() => stop.abort());
  try {
    for (;;) {
      // The slot first, then the frame: the frame taken is the freshest one when it can go.
      await limit.acquire(stop.signal);
      const next = await frames.next();
      if (next.done === true) break;
      const { index, madeAt: made } = next.value;
      madeAt.set(index, made);
      const request = imageRequest(load.model, load.frames[index % load.frames.length] as Buffer, String(index));
      const first = sent === 0;
      sent++;
      if (!call.write(first ? { ...request, streamOptions: options } : request)) await once(call, 'drain', { signal: stop.signal });
    }
  } catch (err: unknown) {
    // The call failed or ended early: what was counted stands, and the frames unanswered show as unaccounted.
    if (!stop.signal.aborted) throw err;
  }
  const measured = end();
  const cameraDoneAt = performance.now();
  call.end();
  const drained = await Promise.race([finished, sleep(load.drainTimeoutMs ?? 30_000, false, { ref: false })]);
  if (!drained) call.cancel();
  await ended;
  const drainSeconds = (performance.now() - cameraDoneAt) / 1000;

  const summary = stats.summary();
  const duplicates = [...answers.values()].reduce((sum, n) => sum + n - 1, 0);
  const accounted = summary.predictions + summary.errors + summary.dropped + droppedByClient;
  return {
    targetRate: load.ratePerSec,
    serverWindow: load.serverWindow,
    clientWindow: load.clientWindow,
    produced: counter.produced,
    sent,
    droppedByClient,
    droppedByServer: summary.dropped,
    unaccounted: counter.produced - accounted,
    duplicates,
    unknown,
    drainSeconds,
    ...summary,
    ...measured,
  };
}
