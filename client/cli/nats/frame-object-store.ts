/**
 * The JetStream object store bucket that carries frames too large for one NATS message. The bucket
 * is opened (created when missing) on the first large frame, so runs that never need it never
 * touch it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { CliError } from '../cli-context.js';

/** A bucket of large frames, opened lazily; `put` and `discard` by object name. */
export class FrameObjectStore {
  /** The bucket's name. */
  readonly bucket: string;
  readonly #nc: NatsConnection;
  #store: Promise<ObjectStore> | undefined;

  constructor(nc: NatsConnection, bucket: string) {
    this.bucket = bucket;
    this.#nc = nc;
  }

  /** Stores `data` under `name`, replacing an object of that name. */
  async put(name: string, data: Uint8Array): Promise<void> {
    const store = await this.#open();
    await store.putBlob({ name }, data);
  }

  /** Removes an object whose message was never stored; a failure leaves it for the bucket's own limits. */
  async discard(name: string): Promise<void> {
    const store = await this.#open();
    await store.delete(name).catch(() => undefined);
  }

  #open(): Promise<ObjectStore> {
    this.#store ??= new Objm(this.#nc).create(this.bucket).catch((err: unknown) => {
      throw new CliError(`cannot open the object store bucket ${this.bucket}: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.#store;
  }
}
