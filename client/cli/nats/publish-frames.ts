/**
 * The body of `sluice publish`: frames from a source, paced, limited, encoded as images, published
 * to a subject through JetStream with at most `inFlight` publishes waiting for their PubAck.
 *
 * A frame is taken from the source only when a publish slot is free. Without `live` the source
 * simply waits, and a publish the stream refuses because it is full is tried again after a pause
 * (the work queue's consumers make room). With `live` the source is read on regardless, only its
 * freshest frame waits for a slot, and a frame the full stream refuses is dropped: what is
 * published is never older than one frame, however far behind the consumers are.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { type NatsConnection, errors as natsErrors } from '@nats-io/transport-node';
import { INGEST_HEADERS } from '../../../server/ingest/ingest-headers.js';
import type { Frame, FrameSource, Size } from '../../sources/frame.js';
import { latestOnly } from '../../sources/latest-only.js';
import { paceFrames } from '../../sources/pace-frames.js';
import { prepareFrame } from '../../sources/prepare-frame.js';
import { CliError } from '../cli-context.js';
import { InFlightLimit } from '../in-flight-limit.js';
import type { FpsOption } from '../option-parsers.js';
import { exceedsMaxPayload, frameMessage } from './frame-message.js';
import type { FrameObjectStore } from './frame-object-store.js';
import type { PublishStats } from './publish-stats.js';

/** Everything a publish run needs. */
export interface PublishRun {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly source: FrameSource;
  readonly subject: string;
  /** The stream that captures `subject`, for messages. */
  readonly stream: string;
  readonly model: string | undefined;
  /** Prefix of `Nats-Msg-Id`s and object names. */
  readonly idPrefix: string;
  readonly fps: FpsOption;
  readonly limit: number | undefined;
  readonly resize: Size | undefined;
  /** Encoding to publish; absent keeps the source's (raw frames become JPEG). */
  readonly encoding: 'jpeg' | 'png' | undefined;
  /** Publishes waiting for their PubAck, at most. */
  readonly inFlight: number;
  /** The live drop policy (cameras): drop frames rather than make the source wait. */
  readonly live: boolean;
  readonly objects: FrameObjectStore;
  readonly stats: PublishStats;
  readonly signal: AbortSignal;
}

/** Pauses between tries of a publish refused by a full stream. */
const FULL_BACKOFF_MS = [50, 100, 200, 500, 1000] as const;

/** Runs to the end of the source (or the limit); throws what broke it (the signal's reason when stopped). */
export async function publishFrames(run: PublishRun): Promise<void> {
  const limit = new InFlightLimit(run.inFlight);
  // The first failed publish stops the others from starting; those in flight are still awaited.
  const failed = new AbortController();
  const signal = AbortSignal.any([run.signal, failed.signal]);
  const pending = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  const frames = framesOf(run, signal)[Symbol.asyncIterator]();
  // Frames are encoded concurrently but published in source order: each waits for its predecessor's publish to be sent.
  let sent: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      // The slot first, then the frame: with `live` the frame taken is the freshest there is when it can go.
      await limit.acquire(signal);
      const next = await frames.next();
      if (next.done === true) break;
      run.stats.inFlight++;
      const turn = sent;
      let markSent = (): void => undefined;
      sent = new Promise((resolve) => (markSent = resolve));
      const task: Promise<void> = publishFrame(run, next.value, signal, { turn, markSent })
        .catch((err: unknown) => {
          if (failure !== undefined || run.signal.aborted) return;
          failure = { error: err };
          failed.abort(err);
        })
        .finally(() => {
          run.stats.inFlight--;
          limit.release();
          pending.delete(task);
        });
      pending.add(task);
    }
  } catch (err: unknown) {
    if (failure === undefined) throw err;
  } finally {
    await frames.return?.();
    await Promise.all(pending);
    run.stats.finish();
  }
  if (failure !== undefined) throw failure.error;
}

/** A frame's place in the publishing order. */
interface Turn {
  /** Settles once the previous frame's publish is sent (or given up). */
  readonly turn: Promise<void>;
  /** Lets the next frame go: called once this frame's first publish is sent, or it fails before. */
  readonly markSent: () => void;
}

/** Encodes one frame and publishes it, through the object store when it is too large. */
async function publishFrame(run: PublishRun, frame: Frame, signal: AbortSignal, order: Turn): Promise<void> {
  try {
    await publishInTurn(run, frame, signal, order);
  } finally {
    order.markSent();
  }
}

async function publishInTurn(run: PublishRun, frame: Frame, signal: AbortSignal, order: Turn): Promise<void> {
  const prepared = await prepareFrame(frame, { resize: run.resize, encoding: run.encoding ?? (frame.encoding === 'raw' ? 'jpeg' : undefined) }).catch((err: unknown) => {
    throw new CliError(`cannot encode frame ${frame.id}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const message = frameMessage(prepared, { idPrefix: run.idPrefix, model: run.model });
  const viaObject = exceedsMaxPayload(prepared.data.length, message, run.nc.info?.max_payload ?? Number.POSITIVE_INFINITY);
  if (viaObject) {
    await run.objects.put(message.msgId, prepared.data);
    message.headers.set(INGEST_HEADERS.object, message.msgId);
  }
  const body = viaObject ? new Uint8Array(0) : prepared.data;
  await order.turn;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    try {
      // The request goes out synchronously in `publish`; the next frame may follow it at once.
      const acked = run.js.publish(run.subject, body, { msgID: message.msgId, headers: message.headers });
      order.markSent();
      const ack = await acked;
      run.stats.recordAck(ack, prepared.data.length, performance.now() - started, viaObject);
      return;
    } catch (err: unknown) {
      if (!isStreamFull(err)) throw publishError(err, run);
      if (run.live) {
        run.stats.droppedFull++;
        if (viaObject) await run.objects.discard(message.msgId);
        return;
      }
      run.stats.retriedFull++;
      // Tried again with the same Nats-Msg-Id: the stream stores the frame once whatever became of earlier tries.
      await sleep(FULL_BACKOFF_MS[Math.min(attempt, FULL_BACKOFF_MS.length - 1)], undefined, { signal });
    }
  }
}

/** True when the stream refused a message because a limit (messages, bytes, storage) is reached and it discards new ones. */
export function isStreamFull(err: unknown): boolean {
  if (!(err instanceof JetStreamApiError)) return false;
  // 10047: insufficient resources; 10077: the store refused it ("maximum messages exceeded", ...).
  return err.code === 10047 || (err.code === 10077 && /maximum .*exceeded/i.test(err.message));
}

/** A failed publish as one line for people. */
function publishError(err: unknown, run: PublishRun): unknown {
  if (err instanceof CliError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  // What JetStream answers when nothing captures the subject (any more): "no responders".
  if (name === 'JetStreamNotEnabled' || /no responders/i.test(message)) {
    return new CliError(`no JetStream stream captures subject ${run.subject} any more (stream ${run.stream} was deleted or changed)`);
  }
  if (err instanceof natsErrors.TimeoutError) return new CliError(`publishing to ${run.subject}: no PubAck from stream ${run.stream} in time`);
  return new CliError(`publishing to ${run.subject} (stream ${run.stream}): ${message}`);
}

/** The source's frames, paced, limited, and with `live` reduced to the freshest one waiting. */
function framesOf(run: PublishRun, signal: AbortSignal): AsyncIterable<Frame> {
  const { source, stats } = run;
  const pace = run.fps === 'max' ? undefined : run.fps === 'source' ? () => source.fps : () => run.fps as number;
  let frames: AsyncIterable<Frame> = source.frames({ signal });
  // A live source paces itself; pacing it at its own rate would only skip frames by jitter.
  if (pace !== undefined && !(source.live && run.fps === 'source')) {
    frames = paceFrames(frames, { fps: pace, live: source.live, signal, onSkip: () => stats.skipped++ });
  }
  if (run.limit !== undefined) frames = take(frames, run.limit);
  if (run.live) frames = latestOnly(frames, { signal, onDrop: () => stats.droppedAtCap++ });
  return frames;
}

async function* take<T>(items: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  if (limit <= 0) return;
  let count = 0;
  for await (const item of items) {
    yield item;
    if (++count >= limit) return;
  }
}
