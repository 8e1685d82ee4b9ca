/**
 * JetStream helpers for tests: publishing inputs the way producers do and reading back results.
 */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type NatsConnection, connect, headers } from '@nats-io/transport-node';
import type { TestContext } from 'node:test';
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';

export interface TestJetStream {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** A connection for the test, closed after it. */
export async function connectJetStream(t: Pick<TestContext, 'after'>, url: string): Promise<TestJetStream> {
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/** Publishes one input; `extra` headers beside `Sluice-Id` (which is also its `Nats-Msg-Id`). */
export async function publishInput(js: JetStreamClient, subject: string, id: string, body: Uint8Array, extra: Readonly<Record<string, string>> = { 'Content-Type': 'image/png' }): Promise<void> {
  const h = headers();
  h.set('Sluice-Id', id);
  for (const [name, value] of Object.entries(extra)) h.set(name, value);
  await js.publish(subject, body, { msgID: id, headers: h });
}

/** One result message as read back. */
export interface ReadResult {
  readonly subject: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly response: PredictResponse;
}

/** Every message a stream holds on `subject`, decoded as results. */
export async function readResults(js: JetStreamClient, jsm: JetStreamManager, stream: string, subject: string): Promise<ReadResult[]> {
  const info = await jsm.streams.info(stream);
  const results: ReadResult[] = [];
  if (info.state.messages === 0) return results;
  const consumer = await js.consumers.get(stream, { filter_subjects: subject });
  const pending = (await consumer.info()).num_pending;
  if (pending === 0) return results;
  const messages = await consumer.consume({ max_messages: 500 });
  for await (const msg of messages) {
    const h: Record<string, string> = {};
    for (const key of msg.headers?.keys() ?? []) h[key] = msg.headers?.get(key) ?? '';
    const type = h['Content-Type'] ?? '';
    const response = type.includes('protobuf') ? PredictResponse.decode(msg.data) : PredictResponse.fromJSON(JSON.parse(new TextDecoder().decode(msg.data)));
    results.push({ subject: msg.subject, headers: h, response });
    if (msg.info.pending === 0) break;
  }
  await messages.close();
  return results;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The value of one `sluice_ingest_messages_total` series on a server's `/metrics` (0 when absent). */
export async function ingestCount(metricsPort: number | undefined, binding: string, event: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort ?? 0}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`sluice_ingest_messages_total{binding="${binding}",event="${event}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}
