/**
 * The body of `sluice stream`: frames from a source, paced, limited, prepared (scaled, encoded, or
 * stacked into tensors), sent over one Predict stream; every response counted, timed and written
 * out. Stopping the signal cancels everything and still returns what was counted.
 *
 * A frame is taken from the source only when it can go: a slot of the window is free and gRPC
 * took the previous request (`predictStream` pulls the next one only then). Without dropping the
 * source simply waits; with drop-oldest it is read on regardless and only its freshest frame
 * waits, so what is sent is never older than one frame however slow the model or the network.
 */
import type { PredictRequest, StreamOptions } from '../../../gen/ts/sluice/v1/inference_service.js';
import { frameRequest } from '../../image-request.js';
import type { SluiceClient } from '../../sluice-client.js';
import type { Frame, FrameSource, Size } from '../../sources/frame.js';
import { latestOnly } from '../../sources/latest-only.js';
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
  /** Requests sent and not yet answered that the client allows itself (the stream's window). */
  readonly inFlight: number;
  /** Drop-oldest: read the source on while no frame can go, keeping only its freshest frame. */
  readonly dropOldest: boolean;
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
  const limit = new InFlightLimit(run.inFlight);
  // Frames are read by the request generator; this signal also stops the source when the call ends.
  const done = new AbortController();
  const signal = AbortSignal.any([run.signal, done.signal]);
  try {
    const requests = requestsOf(run, pending, limit, signal);
    for await (const response of run.client.predictStream(requests, { signal: run.signal, streamOptions: run.streamOptions })) {
      const now = performance.now();
      const sent = pending.get(response.id);
      pending.delete(response.id);
      limit.release();
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

async function* requestsOf(run: StreamRun, pending: Map<string, Pending>, limit: InFlightLimit, signal: AbortSignal): AsyncGenerator<PredictRequest> {
  const frames = framesOf(run, signal)[Symbol.asyncIterator]();
  const rows = run.batch?.rows ?? 1;
  try {
    for (;;) {
      // The slot first, then the frame: with drop-oldest the frame taken is the freshest there is when it can go.
      await limit.acquire(signal);
      const group: Frame[] = [];
      while (group.length < rows) {
        const next = await frames.next();
        if (next.done === true) break;
        group.push(next.value);
      }
      if (group.length === 0) return;
      const { id, request } = await requestOf(run, group);
      pending.set(id, { sentAt: performance.now(), frames: group });
      run.stats.sent += group.length;
      yield request;
      if (group.length < rows) return;
    }
  } finally {
    await frames.return?.();
  }
}

/** The source's frames, paced, limited, and with drop-oldest reduced to the freshest one waiting. */
function framesOf(run: StreamRun, signal: AbortSignal): AsyncIterable<Frame> {
  const { source, stats } = run;
  const pace = run.fps === 'max' ? undefined : run.fps === 'source' ? () => source.fps : () => run.fps as number;
  let frames: AsyncIterable<Frame> = source.frames({ signal });
  // A live source paces itself; pacing it at its own rate would only skip frames by jitter.
  if (pace !== undefined && !(source.live && run.fps === 'source')) {
    frames = paceFrames(frames, { fps: pace, live: source.live, signal, onSkip: () => stats.skipped++ });
  }
  if (run.limit !== undefined) frames = take(frames, run.limit);
  if (run.dropOldest) frames = latestOnly(frames, { signal, onDrop: () => stats.droppedByClient++ });
  return frames;
}

/** One request for `frames`: a single prepared frame, or the frames stacked into a tensor batch. */
async function requestOf(run: StreamRun, frames: readonly Frame[]): Promise<{ readonly id: string; readonly request: PredictRequest }> {
  const first = frames[0] as Frame;
  if (run.batch === undefined) {
    const prepared = await prepareFrame(first, { resize: run.resize, encoding: run.encoding }).catch((err: unknown) => {
      throw new CliError(`cannot decode ${first.id}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return { id: first.id, request: frameRequest(run.model, prepared) };
  }
  const id = frames.length === 1 ? first.id : `${first.id}..${(frames.at(-1) as Frame).id}`;
  const request = await tensorBatchRequest(frames, run.batch, id).catch((err: unknown) => {
    throw new CliError(`cannot decode a frame of ${id}: ${err instanceof Error ? err.message : String(err)}`);
  });
  return { id, request };
}

async function* take<T>(items: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  if (limit <= 0) return;
  let count = 0;
  for await (const item of items) {
    yield item;
    if (++count >= limit) return;
  }
}
