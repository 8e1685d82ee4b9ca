/**
 * Live mode: a producer that makes frames at a fixed rate, like a camera, whatever the server
 * does, on one `Predict` stream with `DROP_POLICY_DROP_OLDEST` and a small window. It checks the
 * live contract: bounded latency for the frames that are answered, flat server memory, and every
 * frame sent answered exactly once (a prediction, an error or `dropped`).
 *
 * A camera cannot wait: when the transport does not take a frame (16 frames or 32 MiB written and
 * not yet flushed: the server does not read as fast as the camera produces), the frame is skipped
 * and counted, and a skipped frame breaks the contract just as a lost one does.
 */
import { performance } from 'node:perf_hooks';
import { DropPolicy, type InferenceServiceClient, PredictRequest, type PredictResponse, StreamOptions } from '../gen/ts/sluice/v1/inference_service.js';
import { type ItemSummary, ItemStats, type Measured, startMeasuring } from './item-stats.js';
import type { RssSample } from './proc-stats.js';

/** Options of `measureLive`. */
export interface LiveLoad {
  readonly stub: InferenceServiceClient;
  readonly serverPid: number;
  readonly request: (id: string) => PredictRequest;
  /** Frames per second the producer makes. */
  readonly ratePerSec: number;
  readonly seconds: number;
  /** `stream_options.max_in_flight`. */
  readonly window: number;
  /** Most frames written and not yet flushed before the producer skips frames (default 16). */
  readonly maxUnflushedFrames?: number;
  /** The same bound in bytes (default 32 MiB); the first frame always goes. */
  readonly maxUnflushedBytes?: number;
  /** How long to wait for the last answers once the producer stopped (default 60 s). */
  readonly drainTimeoutMs?: number;
}

/** Memory of the server over the producing period. */
export interface RssTrend {
  /** Median of the first and of the last third of the samples, in MiB. */
  readonly firstMiB: number;
  readonly lastMiB: number;
  readonly maxMiB: number;
  readonly growthPct: number;
  /** Growth of at most 15% between the first and last third. */
  readonly flat: boolean;
}

/** A live-mode run. */
export interface LiveResult extends ItemSummary, Measured {
  readonly targetRate: number;
  /** Frames sent per second of producing. */
  readonly sentRate: number;
  readonly produced: number;
  readonly sent: number;
  /** Frames the producer could not write because the server did not read. */
  readonly skipped: number;
  /** Sent frames without an answer, answered more than once, and answers to unknown ids. */
  readonly missing: number;
  readonly duplicates: number;
  readonly unknown: number;
  /** Dropped answers per frame sent. */
  readonly dropRate: number;
  /** Every produced frame was sent and answered exactly once. */
  readonly allAnswered: boolean;
  readonly rss: RssTrend;
  /** Seconds from the end of producing to the last answer. */
  readonly drainSeconds: number;
}

const FLAT_GROWTH = 0.15;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

/** First-third versus last-third medians of the resident set. */
export function rssTrend(samples: readonly RssSample[]): RssTrend {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const firstMiB = median(samples.slice(0, third).map((s) => s.mib));
  const lastMiB = median(samples.slice(-third).map((s) => s.mib));
  const growthPct = ((lastMiB - firstMiB) / firstMiB) * 100;
  return { firstMiB, lastMiB, maxMiB: Math.max(...samples.map((s) => s.mib)), growthPct, flat: growthPct <= FLAT_GROWTH * 100 };
}

/** Runs the paced producer for `seconds`, then waits for the stream to finish. */
export async function measureLive(load: LiveLoad): Promise<LiveResult> {
  const frameBytes = PredictRequest.encode(load.request('0')).finish().byteLength;
  const maxUnflushed = Math.max(frameBytes, Math.min(load.maxUnflushedBytes ?? 32 * 1024 * 1024, (load.maxUnflushedFrames ?? 16) * frameBytes));
  const options = StreamOptions.fromPartial({ maxInFlight: load.window, dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST });
  const stats = new ItemStats();
  const sentAt = new Map<number, number>();
  const answers = new Map<number, number>();
  let unknown = 0;
  let produced = 0;
  let skipped = 0;
  let unflushed = 0;
  const call = load.stub.predict();

  const finished = new Promise<void>((resolve, reject) => {
    call.on('data', (response: PredictResponse) => {
      const index = Number(response.id);
      const start = sentAt.get(index);
      if (start === undefined) {
        unknown++;
        return;
      }
      const seen = (answers.get(index) ?? 0) + 1;
      answers.set(index, seen);
      if (seen === 1) stats.add(response, performance.now() - start);
    });
    call.on('end', resolve);
    call.on('error', reject);
  });
  // A failure before the drain timeout is reported as missing answers, not thrown.
  finished.catch(() => undefined);

  const end = startMeasuring(load.serverPid);
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.floor(Math.min(elapsed, load.seconds) * load.ratePerSec);
      while (produced < due) {
        const index = produced++;
        // The first frame always goes: it carries the stream options.
        if (unflushed > 0 && unflushed + frameBytes > maxUnflushed) {
          skipped++;
          continue;
        }
        const request = load.request(String(index));
        unflushed += frameBytes;
        sentAt.set(index, performance.now());
        call.write(index === 0 ? { ...request, streamOptions: options } : request, () => {
          unflushed -= frameBytes;
        });
      }
      if (elapsed >= load.seconds) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  const measured = end();
  const producedAt = performance.now();
  call.end();
  const drained = await Promise.race([
    finished.then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), load.drainTimeoutMs ?? 60_000).unref()),
  ]);
  if (!drained) call.cancel();
  const drainSeconds = (performance.now() - producedAt) / 1000;

  const sent = sentAt.size;
  const missing = sent - answers.size;
  const duplicates = [...answers.values()].reduce((sum, n) => sum + n - 1, 0);
  const summary = stats.summary();
  return {
    targetRate: load.ratePerSec,
    sentRate: sent / load.seconds,
    produced,
    sent,
    skipped,
    missing,
    duplicates,
    unknown,
    dropRate: sent > 0 ? summary.dropped / sent : 0,
    allAnswered: skipped === 0 && missing === 0 && duplicates === 0 && unknown === 0,
    rss: rssTrend(measured.server.rssSamples),
    drainSeconds,
    ...summary,
    ...measured,
  };
}
