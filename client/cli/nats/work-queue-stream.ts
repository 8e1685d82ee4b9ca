/**
 * The JetStream stream that captures a subject: found, checked against the one the user named, or
 * created as a work queue. Publishing to a subject no stream captures would only fail later with
 * JetStream's "no responders", so the commands look first and say what is missing.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { CliError } from '../cli-context.js';

/** Options of `workQueueStream`. */
export interface WorkQueueStreamOptions {
  /** The subject frames are published to. */
  readonly subject: string;
  /** The stream that should capture it; required with `create`. */
  readonly stream?: string | undefined;
  /** Create `stream` (retention workqueue, capturing `subject`) when no stream captures `subject`. */
  readonly create: boolean;
}

/** What `workQueueStream` found or made. */
export interface ResolvedStream {
  readonly name: string;
  readonly created: boolean;
}

/** The name of the stream that captures `subject`, creating it when asked to. */
export async function workQueueStream(jsm: JetStreamManager, options: WorkQueueStreamOptions): Promise<ResolvedStream> {
  const { subject, stream, create } = options;
  if (create && stream === undefined) throw new CliError('--create needs --stream <name>: the name of the work-queue stream to create');
  const found = await streamOf(jsm, subject);
  if (found !== undefined) {
    if (stream !== undefined && found !== stream) throw new CliError(`subject ${subject} is captured by stream ${found}, not ${stream}`);
    return { name: found, created: false };
  }
  if (!create || stream === undefined) {
    const hint = stream === undefined ? 'add --stream <name> --create to create a work queue' : `add --create to create stream ${stream}`;
    throw new CliError(`no JetStream stream captures subject ${subject} (${hint})`);
  }
  if (await streamExists(jsm, stream)) {
    throw new CliError(`stream ${stream} exists but does not capture subject ${subject}: add the subject to it, or publish to one of its subjects`);
  }
  await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Workqueue }).catch((err: unknown) => {
    throw new CliError(`cannot create stream ${stream} for ${subject}: ${err instanceof Error ? err.message : String(err)}`);
  });
  return { name: stream, created: true };
}

/** The stream that captures `subject`, or undefined when none does. */
export async function streamOf(jsm: JetStreamManager, subject: string): Promise<string | undefined> {
  try {
    return await jsm.streams.find(subject);
  } catch (err: unknown) {
    if (err instanceof Error && /no stream matches subject/i.test(err.message)) return undefined;
    throw err;
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err: unknown) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return false;
    throw err;
  }
}
