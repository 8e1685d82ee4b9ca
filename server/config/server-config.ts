/**
 * The server's configuration: one table of options, each settable by a command-line flag or an
 * environment variable (flags win), validated once into a frozen object.
 */
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SluiceError } from '../errors.js';

/** Validated, immutable server configuration. */
export interface ServerConfig {
  /** Address to listen on (default loopback: reaching the server from the network is the operator's decision). */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Model repository: one folder per model, each with a `model.yaml`. */
  readonly modelsDir: string;
  /** Worker threads holding onnxruntime sessions. */
  readonly workers: number;
  /** onnxruntime intra-op threads per session. */
  readonly intraOpThreads: number;
  /** Window of unanswered items per stream when the client does not ask for one. */
  readonly streamWindow: number;
  /** Largest window a client may ask for. */
  readonly maxStreamWindow: number;
  /** Items waiting per model before new ones are refused with RESOURCE_EXHAUSTED. */
  readonly maxQueueSize: number;
  /** Largest gRPC message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** Bytes of items read and not yet answered, over every stream and call. */
  readonly maxInflightBytes: number;
  /** Bytes of items one stream may hold (it may always hold one item); 0 in a source means a quarter of `maxInflightBytes`. */
  readonly maxStreamBytes: number;
  /** `Predict` and `Watch` streams open at once. */
  readonly maxStreams: number;
  /** `Predict` and `Watch` streams open at once on one client connection. */
  readonly maxStreamsPerConnection: number;
  /** Largest image accepted, in pixels (width x height). */
  readonly maxImagePixels: number;
  /** How long a graceful shutdown waits for accepted items before cancelling them. */
  readonly drainTimeoutMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  readonly logLevel: string;
  /** Port of the Prometheus endpoint (`GET /metrics`); 0 picks a free one, -1 turns it off. */
  readonly metricsPort: number;
  /** How often the repository is checked for added, changed and removed models; 0 never. */
  readonly pollIntervalMs: number;
  /** PEM certificate chain the gRPC port (and `/metrics` with `metricsTls`) presents; '' for plaintext. */
  readonly tlsCert: string;
  /** PEM private key of `tlsCert`. */
  readonly tlsKey: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS). */
  readonly tlsClientCa: string;
  /** Serve `/metrics` over HTTPS with `tlsCert` and `tlsKey`. */
  readonly metricsTls: boolean;
  /** YAML or JSON file of tokens and their roles; '' for none (then admin calls only from loopback). */
  readonly tokenFile: string;
  /** Milliseconds one model run may take before it is failed and its worker replaced; 0 never. */
  readonly runTimeoutMs: number;
}

/** Where a raw option value came from, for error messages. */
export interface ConfigSources {
  /** Values from flags, keyed by option name (`port`, `modelsDir`...). */
  readonly flags?: Readonly<Partial<Record<keyof ServerConfig, string | number | boolean | undefined>>>;
  /** Environment, normally `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A configuration file's contents (see `readConfigFile`), below flags and environment. */
  readonly file?: ConfigFile;
}

/** A parsed configuration file: option names as in `ServerConfig`, values as YAML scalars. */
export interface ConfigFile {
  readonly path: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * Reads a YAML (or JSON) configuration file whose keys are the option names of `ServerConfig`
 * (`port`, `modelsDir`, `streamWindow`...). Unknown keys and wrong shapes are INVALID_CONFIG errors
 * naming the file and the key.
 */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err: unknown) {
    throw new SluiceError('INVALID_CONFIG', `cannot read configuration file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new SluiceError('INVALID_CONFIG', `${path}: not valid YAML: ${document.errors[0]?.message ?? ''}`);
  const values: unknown = document.toJS() ?? {};
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new SluiceError('INVALID_CONFIG', `${path}: must be a mapping of option names to values`);
  }
  for (const [key, value] of Object.entries(values)) {
    if (!(key in SERVER_OPTIONS)) {
      throw new SluiceError('INVALID_CONFIG', `${path}: ${key} is not an option (known: ${Object.keys(SERVER_OPTIONS).join(', ')})`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SluiceError('INVALID_CONFIG', `${path}: ${key} must be a number, a string or a boolean`);
    }
  }
  return { path, values: values as Record<string, unknown> };
}

type Parser = (raw: string, where: string) => string | number | boolean;

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly parse: Parser;
  readonly fallback: () => string | number | boolean;
  readonly help: string;
  /** A switch: on the command line the flag alone means true. */
  readonly isSwitch?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(min: number, max: number): Parser {
  return (raw, where) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new SluiceError(
        'INVALID_CONFIG',
        `${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
}

function text(raw: string, where: string): string {
  if (raw.trim() === '') throw new SluiceError('INVALID_CONFIG', `${where} must not be empty`);
  return raw;
}

/** A file path, or '' for none; the file itself is read and checked where it is used. */
function optionalPath(raw: string): string {
  return raw.trim() === '' ? '' : resolve(raw);
}

function boolean(raw: string, where: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(value)) return true;
  if (['false', 'off', 'no', '0'].includes(value)) return false;
  throw new SluiceError('INVALID_CONFIG', `${where} must be true or false, got ${JSON.stringify(raw)}`);
}

function oneOf(values: readonly string[]): Parser {
  return (raw, where) => {
    if (!values.includes(raw)) {
      throw new SluiceError('INVALID_CONFIG', `${where} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    }
    return raw;
  };
}

const MIB = 1024 * 1024;

/** A quarter of the machine's memory, from 256 MiB to 4 GiB. */
function defaultInflightBytes(): number {
  return Math.min(4096 * MIB, Math.max(256 * MIB, Math.floor(totalmem() / 4 / MIB) * MIB));
}

/** Every option, with its flag, environment variable, default and description. */
export const SERVER_OPTIONS: Readonly<Record<keyof ServerConfig, OptionSpec>> = Object.freeze({
  host: {
    flag: '--host',
    env: 'SLUICE_HOST',
    parse: text,
    fallback: () => '127.0.0.1',
    help: 'address to listen on (default loopback only; 0.0.0.0 for every interface)',
  },
  port: { flag: '--port', env: 'SLUICE_PORT', parse: integer(0, 65535), fallback: () => 50051, help: 'gRPC port (0: any free port)' },
  modelsDir: { flag: '--models', env: 'SLUICE_MODELS', parse: text, fallback: () => 'models', help: 'model repository folder' },
  workers: {
    flag: '--workers',
    env: 'SLUICE_WORKERS',
    parse: integer(1, 256),
    fallback: () => availableParallelism(),
    help: 'inference worker threads (default: one per core)',
  },
  intraOpThreads: {
    flag: '--threads',
    env: 'SLUICE_THREADS',
    parse: integer(1, 256),
    fallback: () => 1,
    help: 'onnxruntime intra-op threads per session',
  },
  streamWindow: {
    flag: '--stream-window',
    env: 'SLUICE_STREAM_WINDOW',
    parse: integer(1, 65536),
    fallback: () => 16,
    help: 'unanswered items per stream before the server stops reading',
  },
  maxStreamWindow: {
    flag: '--max-stream-window',
    env: 'SLUICE_MAX_STREAM_WINDOW',
    parse: integer(1, 65536),
    fallback: () => 256,
    help: 'largest window a client may ask for',
  },
  maxQueueSize: {
    flag: '--max-queue',
    env: 'SLUICE_MAX_QUEUE',
    parse: integer(1, 1_000_000),
    fallback: () => 1024,
    help: 'items waiting per model before RESOURCE_EXHAUSTED',
  },
  maxMessageBytes: {
    flag: '--max-message-bytes',
    env: 'SLUICE_MAX_MESSAGE_BYTES',
    parse: integer(1024, 2 ** 31 - 1),
    fallback: () => 64 * MIB,
    help: 'largest gRPC message accepted',
  },
  maxInflightBytes: {
    flag: '--max-inflight-bytes',
    env: 'SLUICE_MAX_INFLIGHT_BYTES',
    parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER),
    fallback: defaultInflightBytes,
    help: 'bytes of items read and not yet answered, server-wide (default: a quarter of memory, 256 MiB to 4 GiB)',
  },
  maxStreamBytes: {
    flag: '--max-stream-bytes',
    env: 'SLUICE_MAX_STREAM_BYTES',
    parse: integer(0, Number.MAX_SAFE_INTEGER),
    fallback: () => 0,
    help: 'bytes of items one stream may hold (0: a quarter of --max-inflight-bytes)',
  },
  maxStreams: {
    flag: '--max-streams',
    env: 'SLUICE_MAX_STREAMS',
    parse: integer(1, 1_000_000),
    fallback: () => 4096,
    help: 'Predict and Watch streams open at once',
  },
  maxStreamsPerConnection: {
    flag: '--max-streams-per-connection',
    env: 'SLUICE_MAX_STREAMS_PER_CONNECTION',
    parse: integer(1, 1_000_000),
    fallback: () => 1024,
    help: 'Predict and Watch streams open at once on one client connection',
  },
  maxImagePixels: {
    flag: '--max-image-pixels',
    env: 'SLUICE_MAX_IMAGE_PIXELS',
    parse: integer(1, 2 ** 31 - 1),
    fallback: () => 40_000_000,
    help: 'largest image accepted, width x height',
  },
  drainTimeoutMs: {
    flag: '--drain-timeout',
    env: 'SLUICE_DRAIN_TIMEOUT_MS',
    parse: integer(0, 3_600_000),
    fallback: () => 30_000,
    help: 'milliseconds a shutdown waits for accepted items',
  },
  metricsPort: {
    flag: '--metrics-port',
    env: 'SLUICE_METRICS_PORT',
    parse: integer(-1, 65535),
    fallback: () => 9464,
    help: 'Prometheus /metrics port (0: any free port, -1: off)',
  },
  pollIntervalMs: {
    flag: '--poll-interval',
    env: 'SLUICE_POLL_INTERVAL_MS',
    parse: integer(0, 86_400_000),
    fallback: () => 0,
    help: 'milliseconds between checks of the repository for model changes (0: off)',
  },
  tlsCert: {
    flag: '--tls-cert',
    env: 'SLUICE_TLS_CERT',
    parse: optionalPath,
    fallback: () => '',
    help: 'PEM certificate chain: serve gRPC over TLS (with --tls-key)',
  },
  tlsKey: { flag: '--tls-key', env: 'SLUICE_TLS_KEY', parse: optionalPath, fallback: () => '', help: 'PEM private key of --tls-cert' },
  tlsClientCa: {
    flag: '--tls-client-ca',
    env: 'SLUICE_TLS_CLIENT_CA',
    parse: optionalPath,
    fallback: () => '',
    help: 'PEM CA bundle: require client certificates signed by it (mutual TLS)',
  },
  metricsTls: {
    flag: '--metrics-tls',
    env: 'SLUICE_METRICS_TLS',
    parse: boolean,
    fallback: () => false,
    help: 'serve /metrics over HTTPS with --tls-cert and --tls-key',
    isSwitch: true,
  },
  tokenFile: {
    flag: '--token-file',
    env: 'SLUICE_TOKEN_FILE',
    parse: optionalPath,
    fallback: () => '',
    help: 'YAML or JSON file of tokens and roles (reread on SIGHUP); without one, admin calls only from loopback',
  },
  runTimeoutMs: {
    flag: '--run-timeout',
    env: 'SLUICE_RUN_TIMEOUT_MS',
    parse: integer(0, 86_400_000),
    fallback: () => 120_000,
    help: 'milliseconds one model run may take before it fails and its worker is replaced (0: no limit)',
  },
  logLevel: {
    flag: '--log-level',
    env: 'SLUICE_LOG_LEVEL',
    parse: oneOf(LOG_LEVELS),
    fallback: () => 'info',
    help: 'log level',
  },
});

/**
 * Builds the configuration from flags, then environment variables, then the configuration file,
 * then defaults. Throws a
 * SluiceError with code INVALID_CONFIG naming the flag or variable at fault.
 */
export function resolveServerConfig(sources: ConfigSources = {}): ServerConfig {
  const { flags = {}, env = {}, file } = sources;
  const values: Record<string, string | number | boolean> = {};
  for (const [key, spec] of Object.entries(SERVER_OPTIONS) as [keyof ServerConfig, OptionSpec][]) {
    const fromFlag = flags[key];
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) values[key] = spec.parse(String(fromFlag), spec.flag);
    else if (fromEnv !== undefined) values[key] = spec.parse(fromEnv, `environment variable ${spec.env}`);
    else if (file?.values[key] !== undefined) values[key] = spec.parse(String(file.values[key]), `${file.path}: ${key}`);
    else values[key] = spec.fallback();
  }
  const config = values as unknown as ServerConfig;
  if (config.streamWindow > config.maxStreamWindow) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${SERVER_OPTIONS.streamWindow.flag} (${config.streamWindow}) must not exceed ${SERVER_OPTIONS.maxStreamWindow.flag} (${config.maxStreamWindow})`,
    );
  }
  if (config.maxStreamBytes > config.maxInflightBytes) {
    throw new SluiceError(
      'INVALID_CONFIG',
      `${SERVER_OPTIONS.maxStreamBytes.flag} (${config.maxStreamBytes}) must not exceed ${SERVER_OPTIONS.maxInflightBytes.flag} (${config.maxInflightBytes})`,
    );
  }
  if ((config.tlsCert === '') !== (config.tlsKey === '')) {
    throw new SluiceError('INVALID_CONFIG', `${SERVER_OPTIONS.tlsCert.flag} and ${SERVER_OPTIONS.tlsKey.flag} go together: set both or neither`);
  }
  if (config.tlsCert === '' && config.tlsClientCa !== '') {
    throw new SluiceError('INVALID_CONFIG', `${SERVER_OPTIONS.tlsClientCa.flag} needs ${SERVER_OPTIONS.tlsCert.flag} and ${SERVER_OPTIONS.tlsKey.flag}: mutual TLS is TLS first`);
  }
  if (config.metricsTls && config.tlsCert === '') {
    throw new SluiceError('INVALID_CONFIG', `${SERVER_OPTIONS.metricsTls.flag} needs ${SERVER_OPTIONS.tlsCert.flag} and ${SERVER_OPTIONS.tlsKey.flag}`);
  }
  const maxStreamBytes = config.maxStreamBytes > 0 ? config.maxStreamBytes : Math.floor(config.maxInflightBytes / 4);
  return Object.freeze({ ...config, maxStreamBytes, modelsDir: resolve(config.modelsDir) });
}
