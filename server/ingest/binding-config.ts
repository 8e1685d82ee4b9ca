/**
 * The configuration of one NATS JetStream binding: where its inputs come from (a stream, a subject
 * filter, a durable pull consumer), which model runs them, and where their results go. Bindings
 * come from the configuration file (a list of mappings under `bindings`), from `--bind` flags or
 * from `SLUICE_BINDINGS` (specs like `name=frames,stream=FRAMES,subject=frames.>,model=tiny-cnn,
 * results=results.frames`, separated by `;` in the variable). One parser checks all of them.
 */
import { SluiceError } from '../errors.js';
import type { IngestInputKind, ResultFormat } from './ingest-headers.js';
import { JETSTREAM_NAME, LITERAL_SUBJECT, SUBJECT_FILTER } from './nats-names.js';

/** One binding, validated. */
export interface BindingConfig {
  /** Its name: in metrics, health (`sluice.ingest.<name>`) and as the stream watchers see. */
  readonly name: string;
  /** The JetStream stream inputs are read from. */
  readonly stream: string;
  /** Subjects of inputs: the stream's subjects when it is created, the consumer's filter. */
  readonly subject: string;
  /** The durable pull consumer the binding's replicas share. */
  readonly consumer: string;
  /** Model that runs inputs without a `Sluice-Model` header ('' requires the header). */
  readonly model: string;
  /** How a body without `Content-Type` is read. */
  readonly input: IngestInputKind;
  /** Subject results are published to (captured by a stream, which drops duplicate results). */
  readonly results: string;
  /** Stream for results when the binding creates it. */
  readonly resultsStream: string;
  /** Subject error results of bad inputs are also published to ('' for none). */
  readonly deadLetter: string;
  /** Results as `PredictResponse` JSON or protobuf. */
  readonly format: ResultFormat;
  /** Create the streams and the consumer when they are missing (otherwise they must exist). */
  readonly create: boolean;
  /** Messages fetched and not yet acknowledged, at most. */
  readonly maxInFlight: number;
  /** Bytes of messages fetched and not yet acknowledged, at most (0: `--max-stream-bytes`). */
  readonly maxInFlightBytes: number;
  /** Acknowledgement wait of a consumer the binding creates. */
  readonly ackWaitMs: number;
  /** Deliveries of one input before a transient failure becomes its final error (consumer it creates). */
  readonly maxDeliver: number;
  /** Delay before a refused input (server busy, deadline, shutdown) is delivered again. */
  readonly nakDelayMs: number;
  /** Milliseconds an input may wait in the server before it must start. */
  readonly timeoutMs: number;
  /** Object store bucket that holds inputs too large for a message. */
  readonly objectStore: string;
}

type Field = keyof BindingConfig;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

const FIELDS: readonly Field[] = [
  'name', 'stream', 'subject', 'consumer', 'model', 'input', 'results', 'resultsStream', 'deadLetter', 'format',
  'create', 'maxInFlight', 'maxInFlightBytes', 'ackWaitMs', 'maxDeliver', 'nakDelayMs', 'timeoutMs', 'objectStore',
];

function fail(where: string, message: string): never {
  throw new SluiceError('INVALID_CONFIG', `${where}: ${message}`);
}

function str(raw: Record<string, unknown>, key: Field, where: string, pattern: RegExp | undefined, fallback?: string): string {
  const value = raw[key];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    return fail(where, `${key} is required`);
  }
  if (typeof value !== 'string' && typeof value !== 'number') return fail(where, `${key} must be a string`);
  const text = String(value);
  if (pattern !== undefined && !pattern.test(text)) return fail(where, `${key} ${JSON.stringify(text)} is not valid here`);
  return text;
}

function int(raw: Record<string, unknown>, key: Field, where: string, min: number, max: number, fallback: number): number {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  // Numbers, or text that spells one: YAML's true or null is not a count.
  const n = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '') ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) return fail(where, `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function bool(raw: Record<string, unknown>, key: Field, where: string): boolean {
  const value = raw[key];
  if (value === undefined || value === false || value === 'false' || value === 'no' || value === 'off' || value === '0') return false;
  if (value === true || value === 'true' || value === 'yes' || value === 'on' || value === '1' || value === '') return true;
  return fail(where, `${key} must be true or false, got ${JSON.stringify(value)}`);
}

function choice<T extends string>(raw: Record<string, unknown>, key: Field, where: string, values: readonly T[], fallback: T): T {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  if (!values.includes(value as T)) return fail(where, `${key} must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Whether the subject filter `filter` (`*` one token, a final `>` one or more) matches the literal `subject`. */
function filterMatches(filter: string, subject: string): boolean {
  const want = filter.split('.');
  const have = subject.split('.');
  for (const [i, token] of want.entries()) {
    if (token === '>') return have.length > i;
    if (i >= have.length || (token !== '*' && token !== have[i])) return false;
  }
  return want.length === have.length;
}

/** Checks one binding given as a mapping; `where` names its source in error messages. */
export function parseBinding(raw: Record<string, unknown>, where: string): BindingConfig {
  for (const key of Object.keys(raw)) {
    if (!FIELDS.includes(key as Field)) fail(where, `${key} is not a binding setting (known: ${FIELDS.join(', ')})`);
  }
  const name = str(raw, 'name', where, NAME);
  const at = `${where} (binding ${name})`;
  const stream = str(raw, 'stream', at, JETSTREAM_NAME);
  const ackWaitMs = int(raw, 'ackWaitMs', at, 1000, 3_600_000, 30_000);
  const config: BindingConfig = {
    name,
    stream,
    subject: str(raw, 'subject', at, SUBJECT_FILTER),
    consumer: str(raw, 'consumer', at, JETSTREAM_NAME, `sluice-${name}`),
    model: str(raw, 'model', at, undefined, ''),
    input: choice(raw, 'input', at, ['image', 'predict-request'] as const, 'image'),
    results: str(raw, 'results', at, LITERAL_SUBJECT),
    resultsStream: str(raw, 'resultsStream', at, JETSTREAM_NAME, `${stream}_RESULTS`),
    deadLetter: str(raw, 'deadLetter', at, LITERAL_SUBJECT, ''),
    format: choice(raw, 'format', at, ['json', 'protobuf'] as const, 'json'),
    create: bool(raw, 'create', at),
    maxInFlight: int(raw, 'maxInFlight', at, 1, 10_000, 32),
    maxInFlightBytes: int(raw, 'maxInFlightBytes', at, 0, Number.MAX_SAFE_INTEGER, 0),
    ackWaitMs,
    maxDeliver: int(raw, 'maxDeliver', at, 1, 1000, 5),
    nakDelayMs: int(raw, 'nakDelayMs', at, 0, 3_600_000, 1000),
    timeoutMs: int(raw, 'timeoutMs', at, 100, 86_400_000, 60_000),
    objectStore: str(raw, 'objectStore', at, JETSTREAM_NAME, 'sluice-frames'),
  };
  if (config.results === config.deadLetter) fail(at, 'deadLetter must differ from results');
  // Published under the filter, results would land in the input stream and come back as inputs.
  for (const key of ['results', 'deadLetter'] as const) {
    if (config[key] !== '' && filterMatches(config.subject, config[key])) {
      fail(at, `${key} ${JSON.stringify(config[key])} is under the subject ${JSON.stringify(config.subject)} the binding reads its inputs from`);
    }
  }
  return Object.freeze(config);
}

/** Reads a `--bind` spec: `key=value` pairs separated by commas (a bare `create` means true). */
export function parseBindingSpec(spec: string, where: string): BindingConfig {
  const raw: Record<string, string> = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    raw[key] = eq < 0 ? '' : part.slice(eq + 1).trim();
  }
  return parseBinding(raw, where);
}

/** Checks a list of bindings together: names, and consumers of one stream, must be unique. */
export function checkBindings(bindings: readonly BindingConfig[]): readonly BindingConfig[] {
  const names = new Set<string>();
  const consumers = new Set<string>();
  for (const binding of bindings) {
    if (names.has(binding.name)) fail('bindings', `two bindings are named ${JSON.stringify(binding.name)}`);
    const consumer = `${binding.stream}/${binding.consumer}`;
    if (consumers.has(consumer)) fail('bindings', `two bindings share the consumer ${consumer}; replicas share a consumer, bindings of one server do not`);
    names.add(binding.name);
    consumers.add(consumer);
  }
  return Object.freeze([...bindings]);
}
