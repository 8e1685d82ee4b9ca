/**
 * Encoded images: the detector and `tiny-cnn` fed JPEG frames over one saturating `Predict`
 * stream, against the raw decode + preprocess + infer loop in as many worker threads as the
 * server has (`raw-decode.ts`). Here the server decodes what the client sends, so the bytes on
 * the wire are small and the work per item is the worker's.
 */
import { imageRequest } from '../client/index.js';
import type { Budget } from './bench-models.js';
import { type JpegModel, JPEG_MODELS, encodeFrames } from './jpeg-frames.js';
import { type RawDecodeResult, measureRawDecode } from './raw-decode.js';
import { SLUICE_THREADS, SLUICE_WORKERS } from './server-process.js';
import type { Connection } from './sluice-scenarios.js';
import { type LoadResult, measureStream } from './sluice-load.js';

/** One model's JPEG measurements. */
export interface JpegResult {
  readonly label: JpegModel['label'];
  readonly name: string;
  /** `640x360`. */
  readonly frameSize: string;
  /** Mean encoded size of a frame. */
  readonly frameBytes: number;
  readonly window: number;
  readonly raw: RawDecodeResult;
  readonly stream: LoadResult;
  /** Stream items/s over the raw loop's. */
  readonly streamVsRaw: number;
}

const timed = (seconds: number, warmupItems: number): Budget => ({ seconds, maxItems: Number.MAX_SAFE_INTEGER, warmupItems });

/** Budgets of one model: the raw loop, then the stream. */
function budgetsOf(model: JpegModel, scale: number): { raw: Budget; stream: Budget } {
  const at = (b: Budget): Budget => ({ ...b, seconds: b.seconds * scale, warmupItems: Math.ceil(b.warmupItems * scale) });
  return model.label === 'det' ? { raw: at(timed(8, 4)), stream: at(timed(8, 8)) } : { raw: at(timed(3, 100)), stream: at(timed(4, 300)) };
}

/** Measures one model: the raw loop in a child process, then the stream on `connection`. */
export async function measureJpegModel(connection: Connection, model: JpegModel, scale: number): Promise<JpegResult> {
  const frames = await encodeFrames(model);
  const budgets = budgetsOf(model, scale);
  const raw = await measureRawDecode({ model, workers: SLUICE_WORKERS, threads: SLUICE_THREADS, budget: budgets.raw });
  const stream = await measureStream({
    stub: connection.stub,
    serverPid: connection.server.pid,
    window: model.window,
    budget: budgets.stream,
    request: (id) => imageRequest(model.name, frames[Number(id) % frames.length] as Buffer, id),
  });
  return {
    label: model.label,
    name: model.name,
    frameSize: `${model.width}x${model.height}`,
    frameBytes: Math.round(frames.reduce((sum, f) => sum + f.byteLength, 0) / frames.length),
    window: model.window,
    raw,
    stream,
    streamVsRaw: stream.itemsPerSec / raw.itemsPerSec,
  };
}

/** Both models, detector first. `scale` multiplies the budgets' durations (1/3 for `--quick`). */
export async function measureJpeg(connection: Connection, scale: number): Promise<JpegResult[]> {
  const results: JpegResult[] = [];
  for (const model of JPEG_MODELS) results.push(await measureJpegModel(connection, model, scale));
  return results;
}
