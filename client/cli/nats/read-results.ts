/**
 * The body of `sluice results`: the result messages of a subject, read from the stream that
 * captures it with an ordered (ephemeral, unacknowledged) consumer, so reading takes nothing away
 * from other readers. Each is decoded, counted and written as one JSON line, in the record format
 * of `sluice stream --out`; the latency is the server's own time (`timings.totalUs`), the only one
 * a result carries.
 *
 * Without `follow` the run stops once it has read what the stream held for the subject when it
 * started; with it, it goes on until the signal stops it.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg, RetentionPolicy } from '@nats-io/jetstream';
import { INGEST_HEADERS } from '../../../server/ingest/ingest-headers.js';
import { CliError } from '../cli-context.js';
import type { LineWriter } from '../line-writer.js';
import { responseRecord } from '../response-record.js';
import type { StreamStats } from '../stream/stream-stats.js';
import { decodeResult } from './result-message.js';

/** Everything a results run needs. */
export interface ResultsRun {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The stream that captures `subject`. */
  readonly stream: string;
  /** The results subject, or a filter (`results.>`). */
  readonly subject: string;
  /** Keep reading new results until the signal stops it. */
  readonly follow: boolean;
  /** Only results stored from now on (implies `follow`). */
  readonly fromNew: boolean;
  /** Stop after this many results. */
  readonly limit: number | undefined;
  readonly out: LineWriter;
  readonly stats: StreamStats;
  /** Models seen, for the summary. */
  readonly models: Set<string>;
  /** Told about each message that is not a PredictResponse (counted as an error, not written). */
  readonly onUndecodable?: (sequence: number, reason: string) => void;
  readonly signal: AbortSignal;
}

/** Reads results until the end (see above), the limit or the signal. */
export async function readResults(run: ResultsRun): Promise<void> {
  const { stats } = run;
  try {
    run.signal.throwIfAborted();
    const follow = run.follow || run.fromNew;
    // What the stream held at the start: reading stops at its last message without --follow.
    const info = await run.jsm.streams.info(run.stream);
    if (info.config.retention === RetentionPolicy.Workqueue) {
      throw new CliError(`stream ${run.stream} is a work queue: its messages belong to its consumers and cannot be read alongside them (results go to a stream with limits retention)`);
    }
    const lastSequence = info.state.last_seq;
    const consumer = await run.js.consumers.getPushConsumer(run.stream, {
      filter_subjects: run.subject,
      deliver_policy: run.fromNew ? DeliverPolicy.New : DeliverPolicy.All,
    });
    try {
      if (!follow && (await consumer.info()).num_pending === 0) return;
      const messages = await consumer.consume();
      const stop = (): void => messages.stop();
      run.signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const message of messages) {
          await record(run, message);
          if (run.limit !== undefined && stats.sent >= run.limit) break;
          if (!follow && (message.seq >= lastSequence || message.info.pending === 0)) break;
        }
      } finally {
        run.signal.removeEventListener('abort', stop);
        await messages.close();
      }
    } finally {
      // An ordered consumer outlives its reader by 5 minutes otherwise: one left behind per run.
      await consumer.delete().catch(() => undefined);
    }
    run.signal.throwIfAborted();
  } finally {
    stats.finish();
  }
}

async function record(run: ResultsRun, message: JsMsg): Promise<void> {
  const { stats } = run;
  stats.sent++;
  const decoded = decodeResult(message.data, message.headers?.get(INGEST_HEADERS.contentType));
  if (!decoded.ok) {
    stats.recordLocalError('UNDECODABLE', `message ${message.seq} on ${message.subject}: ${decoded.reason}`);
    run.onUndecodable?.(message.seq, decoded.reason);
    return;
  }
  const { response } = decoded;
  const latencyMs = (response.timings?.totalUs ?? 0) / 1000;
  stats.record(response, latencyMs);
  if (response.model !== '') run.models.add(response.model);
  await run.out.write(JSON.stringify(responseRecord(response, undefined, latencyMs)));
}
