/**
 * The server's NATS JetStream bindings: one connection, one `IngestBinding` per configured
 * binding, their metrics and their health. Health shows each binding as
 * `sluice.ingest.<name>`: NOT_SERVING while the connection is lost (the client reconnects by
 * itself, and the binding's fetches resume), and during a shutdown.
 */
import type { HealthImplementation } from 'grpc-health-check';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config/server-config.js';
import type { AnswerItemDeps } from '../grpc/answer-item.js';
import type { SessionRegistry } from '../watch/session-registry.js';
import { withTimeout } from '../with-timeout.js';
import { ensureBindingResources } from './binding-resources.js';
import { IngestBinding } from './ingest-binding.js';
import { IngestMetrics } from './ingest-metrics.js';
import { connectNats } from './nats-connection.js';

/** How long a closing server waits for its last acks and results to reach NATS. */
const CONNECTION_DRAIN_MS = 5000;

/** What the bindings need from the server. */
export interface IngestionDeps {
  readonly answer: AnswerItemDeps;
  /** The registry the server's metrics are on. */
  readonly registry: Registry;
  /** Where each binding is published for watchers, under its name. */
  readonly published: SessionRegistry;
  readonly health: HealthImplementation;
  readonly logger: Logger;
}

/** The health service name of a binding. */
export function bindingHealthName(binding: string): string {
  return `sluice.ingest.${binding}`;
}

export class Ingestion {
  readonly #connection: NatsConnection;
  readonly #bindings: readonly IngestBinding[];
  readonly #health: HealthImplementation;
  readonly #logger: Logger;
  #connected = true;
  #stopping = false;
  #draining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(connection: NatsConnection, bindings: readonly IngestBinding[], deps: IngestionDeps) {
    this.#connection = connection;
    this.#bindings = bindings;
    this.#health = deps.health;
    this.#logger = deps.logger;
  }

  /**
   * Connects, checks (or creates) every binding's streams and consumer, and starts consuming.
   * Undefined when the configuration has no bindings. A binding whose resources are missing
   * fails the start with INVALID_CONFIG naming it.
   */
  static async start(config: ServerConfig, deps: IngestionDeps): Promise<Ingestion | undefined> {
    if (config.bindings.length === 0) return undefined;
    const logger = deps.logger.child({ component: 'ingest' });
    const connection = await connectNats(config, logger);
    const bindings: IngestBinding[] = [];
    let ingestion: Ingestion | undefined;
    try {
      const jsm = await jetstreamManager(connection);
      const js = jetstream(connection);
      const metrics = new IngestMetrics(deps.registry, () =>
        bindings.map((b) => ({ name: b.config.name, inFlight: b.inFlight, lag: b.lag, connected: ingestion?.connected ?? false })),
      );
      for (const binding of config.bindings) {
        const settings = await ensureBindingResources(jsm, binding);
        const consumer = await js.consumers.get(binding.stream, binding.consumer);
        const published = deps.published.publish(binding.name, { owner: '', private: false });
        bindings.push(
          new IngestBinding(binding, {
            js,
            consumer,
            settings,
            answer: deps.answer,
            metrics,
            published,
            maxBytes: binding.maxInFlightBytes > 0 ? binding.maxInFlightBytes : config.maxStreamBytes,
            maxMessageBytes: config.maxMessageBytes,
            logger: logger.child({ binding: binding.name }),
          }),
        );
      }
    } catch (err: unknown) {
      await connection.close();
      throw err;
    }
    ingestion = new Ingestion(connection, bindings, deps);
    ingestion.#watchConnection();
    for (const binding of bindings) {
      deps.health.setStatus(bindingHealthName(binding.config.name), 'SERVING');
      binding.start();
      logger.info({ binding: binding.config.name, stream: binding.config.stream, consumer: binding.config.consumer, results: binding.config.results }, 'consuming');
    }
    return ingestion;
  }

  /** Whether the NATS connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Stops fetching and settles every message taken (acked, terminated or nak'd). Idempotent. */
  drain(): Promise<void> {
    this.#draining ??= this.#stop(() => Promise.all(this.#bindings.map((b) => b.drain())));
    return this.#draining;
  }

  /** Cancels what the bindings hold: their messages are nak'd, for another replica. */
  abandon(): void {
    this.#draining = this.#stop(() => Promise.all(this.#bindings.map((b) => b.destroy())));
  }

  /**
   * Drains (unless abandoned), then closes the connection once its last acks are out, or after
   * a few seconds when NATS cannot be reached (the connection would otherwise go on reconnecting).
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.drain();
      const flushed = this.#connected && (await withTimeout(this.#connection.drain(), CONNECTION_DRAIN_MS).catch(() => false));
      if (!flushed) this.#logger.warn('NATS connection closed before its last messages were flushed');
      if (!this.#connection.isClosed()) await this.#connection.close();
    })();
    return this.#closing;
  }

  async #stop(stopBindings: () => Promise<unknown>): Promise<void> {
    this.#stopping = true;
    for (const binding of this.#bindings) this.#health.setStatus(bindingHealthName(binding.config.name), 'NOT_SERVING');
    await stopBindings();
  }

  #watchConnection(): void {
    void (async () => {
      for await (const event of this.#connection.status()) {
        if (event.type === 'disconnect') this.#setConnected(false);
        else if (event.type === 'reconnect') this.#setConnected(true);
      }
    })();
  }

  #setConnected(connected: boolean): void {
    this.#connected = connected;
    this.#logger[connected ? 'info' : 'warn']({ server: this.#connection.getServer() }, connected ? 'NATS connection restored' : 'NATS connection lost');
    if (this.#stopping) return;
    for (const binding of this.#bindings) this.#health.setStatus(bindingHealthName(binding.config.name), connected ? 'SERVING' : 'NOT_SERVING');
  }
}
