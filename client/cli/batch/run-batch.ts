/**
 * The body of `sluice batch`: image files read one after another and sent over one Predict stream
 * whose window is the concurrency; each outcome becomes a `BatchRecord`. A file that cannot be
 * read or converted is one failed image, not a failed run.
 */
import type { PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { frameRequest } from '../../image-request.js';
import type { SluiceClient } from '../../sluice-client.js';
import type { Size } from '../../sources/frame.js';
import { readImageFrame } from '../../sources/image-files-source.js';
import { prepareFrame } from '../../sources/prepare-frame.js';
import { SourceError } from '../../sources/source-error.js';
import { InFlightLimit } from '../in-flight-limit.js';
import type { StreamStats } from '../stream/stream-stats.js';
import { type BatchRecord, batchRecord } from './batch-record.js';
import type { LabelOf } from './image-labels.js';

export interface BatchRun {
  readonly client: SluiceClient;
  readonly paths: readonly string[];
  readonly model: string;
  /** Images in flight: the stream's window. */
  readonly concurrency: number;
  readonly resize: Size | undefined;
  readonly encoding: 'jpeg' | 'png' | 'raw' | undefined;
  readonly labelOf: LabelOf | undefined;
  /** Class whose score is kept for the binary evaluation. */
  readonly positive: string | undefined;
  readonly stats: StreamStats;
  readonly signal: AbortSignal;
  /** Called for every image in turn, with its response when it got one. */
  readonly onRecord: (record: BatchRecord, response: PredictResponse | undefined) => Promise<void>;
}

/** Runs the batch to its end; throws what broke the stream (the signal's reason when stopped). */
export async function runBatch(run: BatchRun): Promise<void> {
  const { stats } = run;
  const sentAt = new Map<string, number>();
  const limit = new InFlightLimit(run.concurrency);
  async function* requests(): AsyncGenerator<ReturnType<typeof frameRequest>> {
    for (const [index, path] of run.paths.entries()) {
      await limit.acquire(run.signal);
      let frame;
      try {
        frame = await prepareFrame(await readImageFrame(path, index, run.signal), { resize: run.resize, encoding: run.encoding });
      } catch (err: unknown) {
        if (run.signal.aborted) throw err;
        const unreadable = err instanceof SourceError;
        const code = unreadable ? 'UNREADABLE' : 'UNDECODABLE';
        const message = unreadable ? err.message : `cannot decode ${path}: ${err instanceof Error ? err.message : String(err)}`;
        limit.release();
        stats.recordLocalError(code, message);
        await run.onRecord({ path, label: run.labelOf?.(path), predicted: undefined, score: undefined, positiveScore: undefined, errorCode: code, error: message, latencyMs: 0 }, undefined);
        continue;
      }
      sentAt.set(path, performance.now());
      stats.sent++;
      yield frameRequest(run.model, frame);
    }
  }
  try {
    for await (const response of run.client.predictStream(requests(), { signal: run.signal, streamOptions: { maxInFlight: run.concurrency } })) {
      const now = performance.now();
      const latencyMs = now - (sentAt.get(response.id) ?? now);
      sentAt.delete(response.id);
      limit.release();
      stats.record(response, latencyMs);
      await run.onRecord(batchRecord(response.id, response, latencyMs, run.labelOf?.(response.id), run.positive), response);
    }
  } finally {
    stats.finish();
  }
}
