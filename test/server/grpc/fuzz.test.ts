/**
 * Fuzzes the protobuf surface of `Predict` and `PredictOne`: valid requests (images for ppocr-det
 * and tiny-cnn, tensors for `add` as raw_data and float_data, stream options) are mutated at the
 * wire level and sent as raw bytes, on several streams and unary calls at once, for a bounded time.
 *
 * SLUICE_FUZZ_SECONDS sets the time (default 5); SLUICE_FUZZ_SEED replays a run (the seed is
 * printed as a diagnostic and in every failure). Each loop draws from its own generator derived
 * from the seed, so a loop's Nth round sends the same bytes on every run with that seed; a failure
 * also writes every input it involves, in full, to a JSON file in the temporary directory.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { GrpcStatus, type PredictRequest, PredictResponse, type SluiceClient } from '../../../client/index.js';
import { captureLog } from '../../helpers/log-capture.js';
import { type PredictSeed, predictSeeds, streamOptionsSeed } from '../../helpers/predict-seeds.js';
import { Prng } from '../../helpers/prng.js';
import { ProtobufMutator } from '../../helpers/protobuf-mutator.js';
import { type RawInferenceClient, createRawInferenceClient } from '../../helpers/raw-inference-client.js';
import { addRequest, floatOutput } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

function envInteger(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

const FUZZ_SECONDS = envInteger('SLUICE_FUZZ_SECONDS', 5, 1, 86_400);
const SEED = envInteger('SLUICE_FUZZ_SEED', randomInt(2 ** 32), 0, 2 ** 32 - 1);
const STREAM_LOOPS = 4;
const UNARY_LOOPS = 2;
/** A call still open after this long is reported as hung: the server answers these items in milliseconds. */
const CALL_DEADLINE_MS = 10_000;
const LIVENESS_EVERY_MS = 2_000;
/** The run stops early once this many problems are found: enough to see a pattern. */
const MAX_FINDINGS = 8;
/**
 * Growth of the main thread's memory (V8 heap plus ArrayBuffers) allowed after a run of thousands
 * of items: far above the few MiB a collected heap varies by, far below what keeping even a few
 * kilobytes per item adds up to.
 */
const MEMORY_TOLERANCE_BYTES = 32 * 1024 * 1024;

/** Status codes an item may be answered with, in-band on a stream or as a PredictOne status. */
const ITEM_CODES: ReadonlySet<number> = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.RESOURCE_EXHAUSTED]);
/** What an unmutated item may get instead of a prediction: the stream's (maybe mutated) options can time it out. */
const VALID_ITEM_CODES: ReadonlySet<number> = new Set([GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.RESOURCE_EXHAUSTED]);
/**
 * How a stream may end while the server runs: OK after answering everything, or ALREADY_EXISTS
 * when its first message asks to publish under a name in use (mutations can make two names equal).
 */
const STREAM_END_CODES: ReadonlySet<number> = new Set([GrpcStatus.OK, GrpcStatus.ALREADY_EXISTS]);
const UNARY_CODES: ReadonlySet<number> = new Set([GrpcStatus.OK, ...ITEM_CODES]);

/** One message as sent. */
interface Sent {
  readonly seed: string;
  /** The request, when it went out unmutated. */
  readonly valid: PredictRequest | undefined;
  readonly steps: readonly string[];
  readonly bytes: Buffer;
}

interface Finding {
  readonly where: string;
  readonly problem: string;
  readonly inputs: readonly Sent[];
}

interface Stats {
  streams: number;
  streamMessages: number;
  unaryCalls: number;
  predictions: number;
  dropped: number;
  /** Item errors (in-band) and unary statuses other than OK, by code. */
  readonly codes: Map<number, number>;
  liveness: number;
}

const codeName = (code: number): string => `${code} ${GrpcStatus[code] ?? '?'}`;

/** Undefined when the server answers a health check SERVING and a valid PredictOne correctly; else what went wrong. */
async function checkAlive(client: SluiceClient): Promise<string | undefined> {
  try {
    const health = await client.health('', { timeoutMs: 10_000 });
    if (health !== 'SERVING') return `health is ${health}`;
  } catch (err: unknown) {
    return `a health check failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    const response = await client.predictOne(addRequest('alive', [1, 2, 3, 4], [1, 1, 1, 1]), { timeoutMs: 10_000 });
    const sum = floatOutput(response, 'sum');
    return sum.join() === '2,3,4,5' ? undefined : `a valid PredictOne answered ${sum.join()} instead of 2,3,4,5`;
  } catch (err: unknown) {
    return `a valid PredictOne failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

class Fuzzer {
  readonly findings: Finding[] = [];
  readonly stats: Stats = { streams: 0, streamMessages: 0, unaryCalls: 0, predictions: 0, dropped: 0, codes: new Map(), liveness: 0 };
  readonly #raw: RawInferenceClient;
  readonly #client: SluiceClient;
  readonly #seeds: readonly PredictSeed[];
  readonly #mutator: ProtobufMutator;
  readonly #started = Date.now();
  readonly #until: number;

  constructor(raw: RawInferenceClient, client: SluiceClient, seeds: readonly PredictSeed[], seconds: number) {
    this.#raw = raw;
    this.#client = client;
    this.#seeds = seeds;
    this.#mutator = new ProtobufMutator(seeds.map((s) => s.bytes));
    this.#until = this.#started + seconds * 1000;
  }

  get #running(): boolean {
    return Date.now() < this.#until && this.findings.length < MAX_FINDINGS;
  }

  found(where: string, problem: string, inputs: readonly Sent[] = []): void {
    this.findings.push({ where: `${where} (${Date.now() - this.#started} ms into the run)`, problem, inputs });
  }

  async streamLoop(loop: number): Promise<void> {
    const prng = Prng.derive(SEED, loop);
    for (let round = 0; this.#running; round++) await this.#streamRound(prng, `stream loop ${loop} round ${round}`, `fuzz-${loop}-${round}`);
  }

  async unaryLoop(loop: number): Promise<void> {
    const prng = Prng.derive(SEED, 1000 + loop);
    for (let round = 0; this.#running; round++) await this.#unaryRound(prng, `unary loop ${loop} round ${round}`);
  }

  /** A health check and a valid item every few seconds while the run lasts. */
  async livenessLoop(): Promise<void> {
    while (this.#running) {
      const problem = await checkAlive(this.#client);
      if (problem !== undefined) this.found('liveness check', problem);
      else this.stats.liveness++;
      await sleep(LIVENESS_EVERY_MS);
    }
  }

  #message(seed: PredictSeed, prng: Prng, mutateChance: number): Sent {
    if (!prng.chance(mutateChance)) return { seed: seed.name, valid: seed.request, steps: [], bytes: seed.bytes };
    const mutant = this.#mutator.mutate(seed.bytes, prng);
    return { seed: seed.name, valid: undefined, steps: mutant.steps, bytes: mutant.bytes };
  }

  #countCode(code: number): void {
    this.stats.codes.set(code, (this.stats.codes.get(code) ?? 0) + 1);
  }

  async #streamRound(prng: Prng, where: string, publishName: string): Promise<void> {
    const count = prng.between(1, 12);
    const sent: Sent[] = [];
    for (let i = 0; i < count; i++) {
      const seed = i === 0 && prng.chance(0.5) ? streamOptionsSeed(prng, publishName) : prng.pick(this.#seeds);
      sent.push(this.#message(seed, prng, 0.7));
    }
    // Sometimes the client walks away: the server must let go of everything the stream held.
    const cancelAfter = prng.chance(0.08) ? prng.below(count) : undefined;
    this.stats.streams++;
    this.stats.streamMessages += count;

    const call = this.#raw.predict({ deadline: Date.now() + CALL_DEADLINE_MS });
    const responses: PredictResponse[] = [];
    const problems: string[] = [];
    let cancelled = false;
    const ended = new Promise<StatusObject>((resolve) => {
      let status: StatusObject | undefined;
      let readEnded = false;
      const settle = (): void => {
        if (status !== undefined && readEnded) resolve(status);
      };
      call.on('data', (bytes: Buffer) => {
        try {
          responses.push(PredictResponse.decode(bytes));
        } catch (err: unknown) {
          problems.push(`response ${responses.length} is not a valid PredictResponse (${err instanceof Error ? err.message : String(err)}): ${bytes.toString('hex')}`);
        }
        if (cancelAfter !== undefined && !cancelled && responses.length >= cancelAfter) {
          cancelled = true;
          call.cancel();
        }
      });
      call.on('error', () => undefined); // the status says it
      call.on('status', (s: StatusObject) => {
        status = s;
        settle();
      });
      call.on('end', () => {
        readEnded = true;
        settle();
      });
    });
    if (cancelAfter === 0) {
      cancelled = true;
      setImmediate(() => call.cancel());
    }
    for (const message of sent) call.write(message.bytes);
    call.end();
    const status = await ended;

    const sequences = new Set<number>();
    for (const r of responses) {
      const result = r.result;
      if (result?.$case === 'prediction') this.stats.predictions++;
      else if (result?.$case === 'dropped') this.stats.dropped++;
      else if (result?.$case === 'error') this.#countCode(result.value.code);
      else problems.push(`the response to message ${r.sequence} has no result`);
      if (!Number.isInteger(r.sequence) || r.sequence < 0 || r.sequence >= count) problems.push(`a response has sequence ${r.sequence}; ${count} messages were written`);
      else if (sequences.has(r.sequence)) problems.push(`message ${r.sequence} was answered twice`);
      sequences.add(r.sequence);
      if (result?.$case === 'error' && !ITEM_CODES.has(result.value.code)) {
        problems.push(`message ${r.sequence} was answered ${codeName(result.value.code)}: ${result.value.message}`);
      }
      const valid = sent[r.sequence]?.valid;
      if (valid === undefined) continue;
      if (r.id !== valid.id) problems.push(`unmutated message ${r.sequence} was answered with id ${JSON.stringify(r.id)}, not ${JSON.stringify(valid.id)}`);
      if (result?.$case === 'error' && !VALID_ITEM_CODES.has(result.value.code)) {
        problems.push(`unmutated message ${r.sequence} (${valid.id}) was answered ${codeName(result.value.code)}: ${result.value.message}`);
      }
    }
    if (cancelled) {
      if (status.code !== GrpcStatus.CANCELLED && !STREAM_END_CODES.has(status.code)) problems.push(`a cancelled stream ended ${codeName(status.code)}: ${status.details}`);
    } else if (status.code === GrpcStatus.DEADLINE_EXCEEDED) {
      problems.push(`the stream was still open after ${CALL_DEADLINE_MS} ms: ${responses.length} of ${count} messages answered`);
    } else if (!STREAM_END_CODES.has(status.code)) {
      problems.push(`the stream ended ${codeName(status.code)}: ${status.details}; ${responses.length} of ${count} messages answered`);
    } else if (status.code === GrpcStatus.OK && responses.length !== count) {
      problems.push(`the stream ended OK with ${responses.length} answers to ${count} messages`);
    } else if (status.code === GrpcStatus.ALREADY_EXISTS && responses.length !== 0) {
      problems.push(`the stream was refused (ALREADY_EXISTS) after ${responses.length} answers`);
    }
    if (problems.length > 0) this.found(where, problems.join('; '), sent);
  }

  async #unaryRound(prng: Prng, where: string): Promise<void> {
    const sent = this.#message(prng.pick(this.#seeds), prng, 0.85);
    const cancelAfterMs = prng.chance(0.05) ? prng.below(20) : undefined;
    this.stats.unaryCalls++;
    const problems: string[] = [];
    let callbacks = 0;
    let statuses = 0;
    const outcome = await new Promise<{ err: ServiceError | null; value: Buffer | undefined }>((resolve) => {
      const call = this.#raw.predictOne(sent.bytes, new Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (err, value) => {
        callbacks++;
        resolve({ err, value });
      });
      call.on('status', () => statuses++);
      if (cancelAfterMs !== undefined) setTimeout(() => call.cancel(), cancelAfterMs);
    });
    await sleep(0); // a second answer to the call would arrive meanwhile
    if (callbacks !== 1 || statuses > 1) problems.push(`the call completed ${callbacks} times with ${statuses} statuses`);
    const code = outcome.err?.code ?? GrpcStatus.OK;
    const cancelledByUs = cancelAfterMs !== undefined && code === GrpcStatus.CANCELLED;
    if (code !== GrpcStatus.OK) this.#countCode(code);
    if (code === GrpcStatus.DEADLINE_EXCEEDED) problems.push(`no answer within ${CALL_DEADLINE_MS} ms`);
    else if (!UNARY_CODES.has(code) && !cancelledByUs) problems.push(`the call ended ${codeName(code)}: ${outcome.err?.details ?? ''}`);
    if (sent.valid !== undefined && code !== GrpcStatus.OK && !cancelledByUs) problems.push(`an unmutated ${sent.seed} failed ${codeName(code)}: ${outcome.err?.details ?? ''}`);
    if (code === GrpcStatus.OK) {
      try {
        const response = PredictResponse.decode(outcome.value ?? Buffer.alloc(0));
        if (response.result?.$case === 'prediction') this.stats.predictions++;
        else problems.push(`an OK call carries ${response.result?.$case ?? 'no result'} instead of a prediction`);
        if (sent.valid !== undefined && response.id !== sent.valid.id) problems.push(`the response id is ${JSON.stringify(response.id)}, not ${JSON.stringify(sent.valid.id)}`);
      } catch (err: unknown) {
        problems.push(`the response is not a valid PredictResponse (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    if (problems.length > 0) this.found(where, problems.join('; '), [sent]);
  }
}

function describeSent(sent: Sent, index: number): string {
  const hex = sent.bytes.byteLength <= 1024 ? sent.bytes.toString('hex') : `${sent.bytes.subarray(0, 256).toString('hex')}... (${sent.bytes.byteLength} bytes)`;
  const how = sent.valid !== undefined ? 'unmutated' : `mutated [${sent.steps.join('; ')}]`;
  return `    #${index} ${sent.seed}, ${how}: ${hex}`;
}

/** The findings as an assertion message, and in full (every byte of every input) in a file. */
function report(findings: readonly Finding[]): string {
  const file = join(tmpdir(), `sluice-fuzz-${SEED}.json`);
  const full = findings.map((f) => ({ ...f, inputs: f.inputs.map((s) => ({ seed: s.seed, steps: s.steps, hex: s.bytes.toString('hex') })) }));
  writeFileSync(file, JSON.stringify(full, null, 2));
  const lines = [`${findings.length} problem(s) with seed ${SEED} (replay: SLUICE_FUZZ_SEED=${SEED}; every input in full: ${file})`];
  for (const f of findings) lines.push(`  ${f.where}: ${f.problem}`, ...f.inputs.map(describeSent));
  return lines.join('\n');
}

function exposeGc(): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The main thread's collected heap and the ArrayBuffers it keeps alive (received messages among them). */
async function memoryInUse(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await sleep(25);
  }
  return true;
}

test('mutated PredictRequests on streams and unary calls are each answered once, never INTERNAL, and leave nothing behind', { timeout: (FUZZ_SECONDS + 120) * 1000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (replay: SLUICE_FUZZ_SEED=${SEED}), ${FUZZ_SECONDS} s (SLUICE_FUZZ_SECONDS)`);
  // What the server logs at error level (internal errors, failed tasks, crashed workers) is a finding too.
  const log = captureLog('error');
  const { server, client, address } = await startTestServer(t, {}, { logger: log.logger });
  const raw = createRawInferenceClient(address);
  t.after(() => raw.close());
  const seeds = await predictSeeds();

  // Every seed is served as it is: what its mutations get instead is the mutations' doing.
  for (const seed of seeds) {
    const response = await new Promise<PredictResponse>((resolve, reject) => {
      raw.predictOne(seed.bytes, new Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (err, value) => (err !== null ? reject(err) : resolve(PredictResponse.decode(value ?? Buffer.alloc(0)))));
    });
    assert.equal(response.result?.$case, 'prediction', `seed ${seed.name}`);
    assert.equal(response.id, seed.request.id);
  }
  assert.equal(await checkAlive(client), undefined);

  const gc = exposeGc();
  const baseline = await memoryInUse(gc);
  const fuzzer = new Fuzzer(raw, client, seeds, FUZZ_SECONDS);
  const started = Date.now();
  await Promise.all([
    ...Array.from({ length: STREAM_LOOPS }, (_, i) => fuzzer.streamLoop(i)),
    ...Array.from({ length: UNARY_LOOPS }, (_, i) => fuzzer.unaryLoop(i)),
    fuzzer.livenessLoop(),
  ]);
  const fuzzedMs = Date.now() - started;

  const afterRun = await checkAlive(client);
  if (afterRun !== undefined) fuzzer.found('after the run', afterRun);
  const settled = await waitFor(() => server.openStreams === 0 && server.inflightBytes === 0 && server.queuedItems === 0, 10_000);
  const held = { openStreams: server.openStreams, inflightBytes: server.inflightBytes, queuedItems: server.queuedItems };
  if (!settled) fuzzer.found('after the run', `the server still holds ${JSON.stringify(held)} 10 s after the last call ended`);
  for (const record of log.records) fuzzer.found('server log', `${record.msg ?? ''} ${JSON.stringify(record.err ?? '')}`);
  const grown = (await memoryInUse(gc)) - baseline;

  const { stats, findings } = fuzzer;
  const codes = [...stats.codes].map(([code, n]) => `${GrpcStatus[code] ?? code} ${n}`).join(', ');
  t.diagnostic(
    `${stats.streams} streams (${stats.streamMessages} messages), ${stats.unaryCalls} unary calls, ${stats.liveness} liveness checks in ${fuzzedMs} ms; ` +
      `${stats.predictions} predictions, ${stats.dropped} dropped, ${codes}; memory ${(grown / 2 ** 20).toFixed(1)} MiB above baseline`,
  );
  if (findings.length > 0) assert.fail(report(findings));
  // The run reached both sides of the request path, items served and items refused, and kept checking the server.
  assert.ok(stats.predictions > 0 && stats.codes.get(GrpcStatus.INVALID_ARGUMENT), `seed ${SEED}: the run saw ${stats.predictions} predictions and ${codes}`);
  assert.ok(stats.liveness >= Math.min(2, FUZZ_SECONDS / 4), `seed ${SEED}: only ${stats.liveness} liveness checks completed during the run`);
  assert.ok(grown < MEMORY_TOLERANCE_BYTES, `seed ${SEED}: memory grew ${(grown / 2 ** 20).toFixed(1)} MiB over ${stats.streamMessages + stats.unaryCalls} items`);
});
