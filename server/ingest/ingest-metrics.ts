/**
 * Metrics of the NATS JetStream bindings, on the server's registry: messages by binding and event
 * (fetched, acked, nak'd, terminated, redelivered), messages in flight, whether the binding's
 * connection is up, and the consumer's lag as the broker reports it.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What happened to a message. */
export type IngestEvent = 'fetched' | 'acked' | 'nakd' | 'terminated' | 'redelivered';

/** What a binding reports when Prometheus scrapes. */
export interface BindingGauges {
  readonly name: string;
  /** Messages fetched and not yet settled. */
  readonly inFlight: number;
  /** Messages in the stream the consumer has not delivered yet, at the last look (-1: unknown). */
  readonly lag: number;
  readonly connected: boolean;
}

/** Names of the ingestion metrics, for docs and dashboards. */
export const INGEST_METRIC_NAMES = ['sluice_ingest_messages_total', 'sluice_ingest_inflight_messages', 'sluice_ingest_consumer_lag', 'sluice_ingest_connected'] as const;

export class IngestMetrics {
  readonly #messages: Counter<'binding' | 'event'>;

  constructor(registry: Registry, bindings: () => readonly BindingGauges[]) {
    const registers = [registry];
    this.#messages = new Counter({ name: 'sluice_ingest_messages_total', help: 'JetStream messages by binding and event (fetched, acked, nakd, terminated, redelivered).', labelNames: ['binding', 'event'], registers });
    new Gauge({
      name: 'sluice_ingest_inflight_messages',
      help: 'Messages a binding fetched and has not yet acked, nakd or terminated.',
      labelNames: ['binding'],
      registers,
      collect() {
        for (const b of bindings()) this.set({ binding: b.name }, b.inFlight);
      },
    });
    new Gauge({
      name: 'sluice_ingest_consumer_lag',
      help: 'Messages waiting in the stream for the binding\'s consumer, as the broker last reported.',
      labelNames: ['binding'],
      registers,
      collect() {
        for (const b of bindings()) if (b.lag >= 0) this.set({ binding: b.name }, b.lag);
      },
    });
    new Gauge({
      name: 'sluice_ingest_connected',
      help: '1 while the binding\'s NATS connection is up.',
      labelNames: ['binding'],
      registers,
      collect() {
        for (const b of bindings()) this.set({ binding: b.name }, b.connected ? 1 : 0);
      },
    });
  }

  /** Counts `n` messages of `binding` with `event`. */
  count(binding: string, event: IngestEvent, n = 1): void {
    this.#messages.inc({ binding, event }, n);
  }
}
