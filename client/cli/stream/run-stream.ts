/**
 * The body of `sluice stream`: frames from a source, paced, limited, prepared (scaled, encoded, or
 * stacked into tensors), sent over one Predict stream; every response counted, timed and written
 * out. Stopping the signal cancels everything and still returns what was counted.
 */
import type { StreamOptions } from '../../../gen/ts/sluice/v1/inference_service.js';
import { frameRequest } from '../../image-request.js';
import type { SluiceClient } from '../../sluice-client.js';
import type { Frame, FrameSource, Size } from '../../sources/frame.js';
import { paceFrames } from '../../sources/pace-frames.js';
import { prepareFrame } from '../../sources/prepare-frame.js';
import { CliError } from '../cli-context.js';
import type { FpsOption } from '../option-parsers.js';
import { InFlightLimit } from '../in-flight-limit.js';
import type { LineWriter } from '../line-writer.js';
import { responseRecord } from '../response-record.js';
import { StreamStats } from './stream-stats.js';
import { type TensorBatchPlan, splitBatchResponse, tensorBatchRequest } from './tensor-batch.js';

/** Everything a stream run needs. */
export interface StreamRun {
  readonly client: SluiceClient;
  readonly source: FrameSource;
  readonly model: string;
  readonly fps: FpsOption;
  readonly limit: number | undefined;
  readonly resize: Size | undefined;
  readonly encoding: 'jpeg' | 'png' | 'raw' | undefined;
  readonly streamOptions: Partial<StreamOptions>;
  /** Requests in flight the client allows itself; absent lets the server's window alone decide. */
  readonly inFlight: number | undefined;
  /** Client-side batching; absent sends one frame per request. */
  readonly batch: TensorBatchPlan | undefined;
  readonly out: LineWriter | undefined;
  readonly stats: StreamStats;
  readonly signal: AbortSignal;
}

/** What was sent and not yet answered, by request id. */
interface Pending {
  readonly sentAt: number;
  readonly frames: readonly Frame[];
}

/** Runs the stream to its end; throws what broke it (the signal's reason when stopped). */
export async function runStream(run: StreamRun): Promise<void> {
  const { stats } = run;
  const pending = new Map<string, Pending>();
  const limit = run.inFlight === undefined ? undefined : new InFlightLimit(run.inFlight);
  // Frames are read by the request generator; this signal also stops the source when the call ends.
  const done = new AbortController();
  const signal = AbortSignal.any([run.signal, done.signal]);
  try {
    const requests = requestsOf(run, pending, limit, signal);
    for await (const response of run.client.predictStream(requests, { signal: run.signal, streamOptions: run.streamOptions })) {
      const now = performance.now();
      const sent = pending.get(response.id);
      pending.delete(response.id);
      limit?.release();
      const latencyMs = sent === undefined ? 0 : now - sent.sentAt;
      const answers = run.batch !== undefined && sent !== undefined ? splitBatchResponse(response, sent.frames, run.batch) : [response];
      for (const [i, answer] of answers.entries()) {
        stats.record(answer, latencyMs);
        if (run.out !== undefined) await run.out.write(JSON.stringify(responseRecord(answer, sent?.frames[i]?.index, latencyMs)));
      }
    }
  } finally {
    done.abort();
    stats.finish();
  }
}

async function* requestsOf(run: StreamRun, pending: Map<string, Pending>, limit: InFlightLimit | undefined, signal: AbortSignal): AsyncGenerator<ReturnType<typeof frameRequest>> {
  const { source, stats } = run;
  const pace = run.fps === 'max' ? undefined : run.fps === 'source' ? () => source.fps : () => run.fps as number;
  let frames: AsyncIterable<Frame> = source.frames({ signal });
  // A live source paces itself; pacing it at its own rate would only skip frames by jitter.
  if (pace !== undefined && !(source.live && run.fps === 'source')) {
    frames = paceFrames(frames, { fps: pace, live: source.live, signal, onSkip: () => stats.skipped++ });
  }
  if (run.limit !== undefined) frames = take(frames, run.limit);
  if (run.batch === undefined) {
    for await (const frame of frames) {
      await limit?.acquire(signal);
      const prepared = await prepareFrame(frame, { resize: run.resize, encoding: run.encoding }).catch((err: unknown) => {
        throw new CliError(`cannot decode ${frame.id}: ${err instanceof Error ? err.message : String(err)}`);
      });
      pending.set(frame.id, { sentAt: performance.now(), frames: [frame] });
      stats.sent++;
      yield frameRequest(run.model, prepared);
    }
    return;
  }
  const plan = run.batch;
  let group: Frame[] = [];
  const flush = async (): Promise<ReturnType<typeof frameRequest>> => {
    const frames = group;
    group = [];
    await limit?.acquire(signal);
    const id = frames.length === 1 ? (frames[0] as Frame).id : `${(frames[0] as Frame).id}..${(frames.at(-1) as Frame).id}`;
    const request = await tensorBatchRequest(frames, plan, id).catch((err: unknown) => {
      throw new CliError(`cannot decode a frame of ${id}: ${err instanceof Error ? err.message : String(err)}`);
    });
    pending.set(id, { sentAt: performance.now(), frames });
    stats.sent += frames.length;
    return request;
  };
  for await (const frame of frames) {
    group.push(frame);
    if (group.length === plan.rows) yield await flush();
  }
  if (group.length > 0) yield await flush();
}

async function* take<T>(items: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  if (limit <= 0) return;
  let count = 0;
  for await (const item of items) {
    yield item;
    if (++count >= limit) return;
  }
}
