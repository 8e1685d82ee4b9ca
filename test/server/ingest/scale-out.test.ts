import assert from 'node:assert/strict';
import { test } from 'node:test';
import { solidPng } from '../../helpers/images.js';
import { connectJetStream, publishInput, readResults, waitFor } from '../../helpers/jetstream.js';
import { startNatsServer } from '../../helpers/nats-server.js';
import { type ServerProcess, startServerProcess } from '../../helpers/server-process.js';

const REPLICAS = 3;
const INPUTS = 2000;
/** Results seen before one replica is killed: it is then surely in the middle of its share. */
const KILL_AFTER = 300;
/**
 * Messages the victim holds when it is killed, at least: three quarters of its window of 32, as
 * right after a fetch, since some of them may be settled between the look and the signal.
 */
const HELD_AT_KILL = 24;
/** A short ack wait, so that what the killed replica held comes back within seconds. */
const BINDING = 'name=frames,stream=IN,subject=in.>,model=tiny-cnn,results=out.frames,maxInFlight=32,ackWaitMs=3000,create';
const COLOURS: readonly (readonly [number, number, number])[] = [[250, 10, 10], [10, 250, 10], [10, 10, 250]];
/** tiny-cnn names the dominant colour. */
const LABELS = ['red', 'green', 'blue'];

type IngestEvent = 'fetched' | 'acked' | 'nakd' | 'terminated' | 'redelivered';

/** What a replica's `/metrics` says of the binding now. */
interface IngestFigures {
  readonly messages: Readonly<Record<IngestEvent, number>>;
  /** Messages fetched and not yet settled. */
  readonly inFlight: number;
}

function metricsPortOf(server: ServerProcess): number {
  const port = server.logs.find((entry) => entry.msg === 'sluice is serving')?.metricsPort;
  assert.equal(typeof port, 'number', 'the serving log line names the metrics port');
  return port as number;
}

/** Reads `sluice_ingest_messages_total` and `sluice_ingest_inflight_messages` of the binding. */
async function ingestFigures(server: ServerProcess): Promise<IngestFigures> {
  const response = await fetch(`http://127.0.0.1:${metricsPortOf(server)}/metrics`);
  assert.equal(response.status, 200);
  const messages: Record<IngestEvent, number> = { fetched: 0, acked: 0, nakd: 0, terminated: 0, redelivered: 0 };
  let inFlight = 0;
  for (const line of (await response.text()).split('\n')) {
    const match = /^(sluice_ingest_\w+)\{(.*)\} (\S+)$/.exec(line);
    if (match === null || !(match[2] ?? '').includes('binding="frames"')) continue;
    const value = Number(match[3]);
    if (match[1] === 'sluice_ingest_inflight_messages') inFlight = value;
    if (match[1] !== 'sluice_ingest_messages_total') continue;
    const event = /event="(\w+)"/.exec(match[2] ?? '')?.[1];
    if (event !== undefined && event in messages) messages[event as IngestEvent] = value;
  }
  return { messages, inFlight };
}

test('replicas share one durable consumer, and when one is killed the others finish its work: every input answered once, nothing left unacked', { timeout: 150_000 }, async (t) => {
  const nats = await startNatsServer(t);
  const { js, jsm } = await connectJetStream(t, nats.url);
  const flags = ['--workers', '1', '--nats', nats.url, '--bind', BINDING];
  const started = Date.now();
  // The first replica creates the streams and the consumer alone: replicas that create them at the
  // same moment race (the results stream's subjects are checked, then the stream is made or
  // updated, in separate steps), and the loser fails its start.
  const first = await startServerProcess(t, flags);
  const replicas = [first, ...(await Promise.all(Array.from({ length: REPLICAS - 1 }, () => startServerProcess(t, flags))))];
  const ready = Date.now();

  const images = await Promise.all(COLOURS.map((rgb) => solidPng(40, 30, rgb)));
  const ids = Array.from({ length: INPUTS }, (_, i) => `frame-${i}`);
  // Published while the replicas consume, as a producer would, a few at a time.
  const publishing = (async () => {
    for (let i = 0; i < INPUTS; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((id, j) => publishInput(js, `in.cam${(i + j) % 4}`, id, images[(i + j) % 3] as Buffer)));
    }
  })();

  const resultCount = async (): Promise<number> => (await jsm.streams.info('IN_RESULTS')).state.messages;
  await waitFor(async () => (await resultCount()) >= KILL_AFTER, 60_000, `${KILL_AFTER} results`);
  const victim = replicas[0] as ServerProcess;
  const survivors = replicas.slice(1);
  // Killed while it holds messages (fetched, not acked), so that they have to come back to the others.
  let victimBefore: IngestFigures | undefined;
  await waitFor(async () => (victimBefore = await ingestFigures(victim)).inFlight >= HELD_AT_KILL, 30_000, 'the victim to hold messages');
  victim.child.kill('SIGKILL');
  assert.equal(await victim.exited, null, 'the victim died of its signal');
  const killedAt = Date.now();
  const resultsAtKill = await resultCount();
  await publishing;

  // The consumer forgets a redelivery once the message is acked, so its figure is read meanwhile.
  let maxRedelivered = 0;
  await waitFor(async () => {
    const consumer = await jsm.consumers.info('IN', 'sluice-frames');
    maxRedelivered = Math.max(maxRedelivered, consumer.num_redelivered);
    return consumer.num_pending === 0 && consumer.num_ack_pending === 0 && (await resultCount()) >= INPUTS;
  }, 90_000, `${INPUTS} results and nothing left unacked`);
  const finished = Date.now();

  const results = await readResults(js, jsm, 'IN_RESULTS', 'out.frames');
  const held = victimBefore?.inFlight ?? 0;
  const victimAcked = victimBefore?.messages.acked ?? 0;
  const survivorFigures = await Promise.all(survivors.map((s) => ingestFigures(s)));
  const survivorAcks = survivorFigures.map((f) => f.messages.acked);
  const survivorsAcked = survivorAcks.reduce((a, b) => a + b, 0);
  const survivorsRedelivered = survivorFigures.reduce((sum, f) => sum + f.messages.redelivered, 0);
  const redeliveredResults = results.filter((r) => Number(r.headers['Sluice-Deliveries']) > 1).length;
  const fetchFailures = survivors.reduce((sum, s) => sum + s.logs.filter((entry) => entry.msg === 'fetch failed').length, 0);
  t.diagnostic(`${REPLICAS} replicas (--workers 1) ready in ${ready - started} ms; ${INPUTS} inputs answered ${finished - ready} ms after that (${Math.round((INPUTS * 1000) / (finished - ready))}/s), ${finished - killedAt} ms of it after the kill`);
  t.diagnostic(`killed replica 1 at ${resultsAtKill} results, holding ${held} messages and having acked ${victimAcked} just before`);
  t.diagnostic(`survivors acked ${survivorAcks.join(' and ')} (sum ${survivorsAcked}), nak'd ${survivorFigures.map((f) => f.messages.nakd).join(' and ')}; 'fetch failed' warnings: ${fetchFailures}`);
  t.diagnostic(`redelivered: ${survivorsRedelivered} fetched again by the survivors, ${redeliveredResults} results with Sluice-Deliveries > 1, consumer num_redelivered up to ${maxRedelivered} while it ran`);

  assert.equal(results.length, INPUTS, 'one result message per input');
  assert.equal(await resultCount(), INPUTS, 'nothing else in the results stream');
  assert.deepEqual(new Set(results.map((r) => r.headers['Sluice-Id'])), new Set(ids));
  for (const result of results) {
    const id = result.headers['Sluice-Id'] ?? '';
    const i = Number(id.replace('frame-', ''));
    assert.equal(result.headers['Nats-Msg-Id'], id);
    assert.equal(result.headers['Sluice-Status'], 'OK', `status of ${id}`);
    assert.equal(result.response.id, id);
    const top = result.response.result?.$case === 'prediction' ? result.response.result.value.classes[0]?.label : undefined;
    assert.equal(top, LABELS[i % 3], `top class of ${id}`);
  }
  // A work queue keeps only what is not yet acked.
  assert.equal((await jsm.streams.info('IN')).state.messages, 0);

  for (const [i, acked] of survivorAcks.entries()) assert.ok(acked > 0, `survivor ${i + 1} acked ${acked}`);
  assert.ok(survivorsAcked <= INPUTS, `survivors acked ${survivorsAcked}`);
  // What the victim acked before the kill was final; the survivors acked the rest, no input twice.
  assert.ok(victimAcked > 0, 'the victim had its share before it was killed');
  assert.ok(survivorsAcked + victimAcked <= INPUTS, `survivors ${survivorsAcked} + victim ${victimAcked} acks`);
  // Redeliveries are reported, not required: the victim may settle what it held before the signal lands.

  // The survivors stop gracefully and leave nothing unacked behind them.
  for (const survivor of survivors) survivor.child.kill('SIGTERM');
  assert.deepEqual(await Promise.all(survivors.map((s) => s.exited)), survivors.map(() => 0));
  const consumer = await jsm.consumers.info('IN', 'sluice-frames');
  assert.equal(consumer.num_pending, 0);
  assert.equal(consumer.num_ack_pending, 0);
  assert.equal(await resultCount(), INPUTS);
});
