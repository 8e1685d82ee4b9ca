/**
 * Makes sure a binding's JetStream resources are there before it consumes: the input stream, the
 * durable pull consumer, and streams that capture its results and dead letters. With `create`
 * the missing ones are made (a work-queue stream, explicit acks); otherwise they must exist and
 * are used as they are. What the binding needs from an existing consumer (its ack wait and its
 * delivery limit) is read from it.
 */
import { AckPolicy, JetStreamApiCodes, JetStreamApiError, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos, millis } from '@nats-io/transport-node';
import { SluiceError } from '../errors.js';
import type { BindingConfig } from './binding-config.js';

/** What the binding learned of its consumer. */
export interface ConsumerSettings {
  /** Milliseconds before an unacknowledged message is delivered again. */
  readonly ackWaitMs: number;
  /** Deliveries of one message at most; -1 for no limit. */
  readonly maxDeliver: number;
}

/** Duplicate window of streams the binding creates: results published again within it are dropped. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function missing(binding: BindingConfig, what: string): SluiceError {
  return new SluiceError('INVALID_CONFIG', `binding ${binding.name}: ${what} does not exist; create it, or add create to the binding`);
}

async function ensureInputStream(jsm: JetStreamManager, binding: BindingConfig): Promise<void> {
  try {
    await jsm.streams.info(binding.stream);
  } catch (err: unknown) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    if (!binding.create) throw missing(binding, `the stream ${binding.stream}`);
    await jsm.streams.add({
      name: binding.stream,
      subjects: [binding.subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  }
}

async function ensureConsumer(jsm: JetStreamManager, binding: BindingConfig): Promise<ConsumerSettings> {
  try {
    const info = await jsm.consumers.info(binding.stream, binding.consumer);
    if (info.config.deliver_subject !== undefined && info.config.deliver_subject !== '') {
      throw new SluiceError('INVALID_CONFIG', `binding ${binding.name}: the consumer ${binding.consumer} is a push consumer; bindings need a pull consumer`);
    }
    if (info.config.ack_policy !== AckPolicy.Explicit) {
      throw new SluiceError('INVALID_CONFIG', `binding ${binding.name}: the consumer ${binding.consumer} must use explicit acks (ack_policy explicit), it has ${info.config.ack_policy}`);
    }
    return { ackWaitMs: millis(info.config.ack_wait ?? nanos(30_000)), maxDeliver: info.config.max_deliver ?? -1 };
  } catch (err: unknown) {
    if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    if (!binding.create) throw missing(binding, `the consumer ${binding.consumer} of the stream ${binding.stream}`);
    await jsm.consumers.add(binding.stream, {
      durable_name: binding.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(binding.ackWaitMs),
      max_deliver: binding.maxDeliver,
      filter_subject: binding.subject,
    });
    return { ackWaitMs: binding.ackWaitMs, maxDeliver: binding.maxDeliver };
  }
}

/** The subjects of `subjects` that no stream captures. */
async function uncapturedOf(jsm: JetStreamManager, subjects: readonly string[]): Promise<string[]> {
  const uncaptured: string[] = [];
  for (const subject of subjects) {
    try {
      await jsm.streams.find(subject);
    } catch {
      uncaptured.push(subject);
    }
  }
  return uncaptured;
}

/**
 * Makes sure a stream captures `subjects`; a stream for them is made with `create`. Replicas
 * starting together may race here: each step rereads what is there, and a step another replica
 * made first is checked again rather than failed.
 */
async function ensureCaptured(jsm: JetStreamManager, binding: BindingConfig, subjects: readonly string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const uncaptured = await uncapturedOf(jsm, subjects);
    if (uncaptured.length === 0) return;
    if (!binding.create) throw missing(binding, `a stream capturing ${uncaptured.join(' and ')}`);
    try {
      const info = await jsm.streams.info(binding.resultsStream).catch((err: unknown) => {
        if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return undefined;
        throw err;
      });
      if (info === undefined) {
        await jsm.streams.add({ name: binding.resultsStream, subjects: uncaptured, storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
      } else {
        const have = info.config.subjects ?? [];
        await jsm.streams.update(binding.resultsStream, { ...info.config, subjects: [...have, ...uncaptured.filter((s) => !have.includes(s))] });
      }
      return;
    } catch (err: unknown) {
      // Another replica changed the stream meanwhile: look again, a few times.
      if (attempt >= 4) throw err;
    }
  }
}

/** Checks (or makes) every resource of `binding`; returns what its consumer says. */
export async function ensureBindingResources(jsm: JetStreamManager, binding: BindingConfig): Promise<ConsumerSettings> {
  await ensureInputStream(jsm, binding);
  const settings = await ensureConsumer(jsm, binding);
  await ensureCaptured(jsm, binding, binding.deadLetter === '' ? [binding.results] : [binding.results, binding.deadLetter]);
  return settings;
}
