/**
 * The table of server options: for each, its flag, its environment variable, its default, its
 * description, and the parser that checks a raw value. `resolveServerConfig` reads it to build the
 * configuration, `sluice serve` to declare its flags, `readConfigFile` to know the keys. It loads
 * nothing heavy (no onnxruntime, no YAML), so that the command line can import it cheaply.
 */
import { availableParallelism, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { SluiceError } from '../errors.js';
import { POSTPROCESS_NAMES } from '../repository/model-overrides.js';
import type { OptionName } from './server-config.js';

/** Checks one raw value; `where` names its source (flag, variable or file) for the error message. */
type Parser = (raw: string, where: string) => string | number | boolean;

/** One option of `SERVER_OPTIONS`. */
export interface OptionSpec {
  /** Command-line flag, e.g. `--port`. */
  readonly flag: string;
  /** Environment variable, e.g. `SLUICE_PORT`. */
  readonly env: string;
  /** Checks and converts a raw value; throws INVALID_CONFIG naming where the value came from. */
  readonly parse: Parser;
  /** The default, computed when needed (some depend on the machine). */
  readonly fallback: () => string | number | boolean;
  /** One line for `sluice serve --help`. */
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

/** One of `values`, or '' for none. */
function optionalOneOf(values: readonly string[]): Parser {
  const check = oneOf(values);
  return (raw, where) => (raw.trim() === '' ? '' : check(raw.trim().toLowerCase(), where));
}

/** One to three comma-separated finite numbers, or '' for none. */
function numberList(raw: string, where: string): string {
  if (raw.trim() === '') return '';
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length > 3 || values.some((v, i) => !Number.isFinite(v) || raw.split(',')[i]?.trim() === '')) {
    throw new SluiceError('INVALID_CONFIG', `${where} must be 1 to 3 comma-separated numbers, got ${JSON.stringify(raw)}`);
  }
  return values.join(',');
}

/** `WxH` in pixels, or '' for none. */
function imageSize(raw: string, where: string): string {
  if (raw.trim() === '') return '';
  const match = /^(\d{1,5})x(\d{1,5})$/i.exec(raw.trim());
  if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) throw new SluiceError('INVALID_CONFIG', `${where} must be WIDTHxHEIGHT in pixels, e.g. 640x640, got ${JSON.stringify(raw)}`);
  return `${Number(match[1])}x${Number(match[2])}`;
}

/** One or more NATS server URLs, comma-separated. */
function natsUrls(raw: string, where: string): string {
  for (const url of raw.split(',')) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$/.test(url.trim()) && !/^[\w.-]+:\d+$/.test(url.trim())) {
      throw new SluiceError('INVALID_CONFIG', `${where} must be NATS server URLs such as nats://127.0.0.1:4222, got ${JSON.stringify(url)}`);
    }
  }
  return raw;
}

const MIB = 1024 * 1024;

/** A quarter of the machine's memory, from 256 MiB to 4 GiB. */
function defaultInflightBytes(): number {
  return Math.min(4096 * MIB, Math.max(256 * MIB, Math.floor(totalmem() / 4 / MIB) * MIB));
}

/** Every option, with its flag, environment variable, default and description. */
export const SERVER_OPTIONS: Readonly<Record<OptionName, OptionSpec>> = Object.freeze({
  host: {
    flag: '--host',
    env: 'SLUICE_HOST',
    parse: text,
    fallback: () => '127.0.0.1',
    help: 'address to listen on (default loopback only; 0.0.0.0 for every interface)',
  },
  port: { flag: '--port', env: 'SLUICE_PORT', parse: integer(0, 65535), fallback: () => 50051, help: 'gRPC port (0: any free port)' },
  modelsDir: {
    flag: '--models',
    env: 'SLUICE_MODELS',
    parse: text,
    fallback: () => 'models',
    help: 'model repository folder (default models; none when only --model files are served)',
  },
  postprocess: {
    flag: '--postprocess',
    env: 'SLUICE_POSTPROCESS',
    parse: optionalOneOf(POSTPROCESS_NAMES),
    fallback: () => '',
    help: `postprocessor of the --model files: ${POSTPROCESS_NAMES.join(', ')} (default: inferred from the outputs where only one fits)`,
  },
  labels: { flag: '--labels', env: 'SLUICE_LABELS', parse: optionalPath, fallback: () => '', help: 'labels file of the --model files, one label per line (e.g. coco.names)' },
  mean: { flag: '--mean', env: 'SLUICE_MEAN', parse: numberList, fallback: () => '', help: 'per-channel mean of the --model files\' image input, on 0..1 pixels, e.g. 0.485,0.456,0.406' },
  std: { flag: '--std', env: 'SLUICE_STD', parse: numberList, fallback: () => '', help: 'per-channel standard deviation, e.g. 0.229,0.224,0.225' },
  channelOrder: { flag: '--channel-order', env: 'SLUICE_CHANNEL_ORDER', parse: optionalOneOf(['rgb', 'bgr', 'gray']), fallback: () => '', help: 'channel order of the --model files\' image input: rgb (default), bgr or gray' },
  resize: { flag: '--resize', env: 'SLUICE_RESIZE', parse: optionalOneOf(['stretch', 'letterbox']), fallback: () => '', help: 'how images are resized for the --model files (default: letterbox for detectors, stretch otherwise)' },
  inputSize: { flag: '--input-size', env: 'SLUICE_INPUT_SIZE', parse: imageSize, fallback: () => '', help: 'image size WxH for the --model files (default: the file\'s fixed size, or 640x640)' },
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
  maxModelBytes: {
    flag: '--max-model-bytes',
    env: 'SLUICE_MAX_MODEL_BYTES',
    parse: integer(1024, Number.MAX_SAFE_INTEGER),
    fallback: () => 1024 * MIB,
    help: 'largest model an upload (PushModel) may bring, all its files together',
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
  nats: {
    flag: '--nats',
    env: 'SLUICE_NATS',
    parse: (raw, where) => (raw.trim() === '' ? '' : natsUrls(raw, where)),
    fallback: () => '',
    help: 'NATS server(s) for the JetStream bindings (--bind), e.g. nats://127.0.0.1:4222; comma-separated for a cluster',
  },
  natsCreds: { flag: '--nats-creds', env: 'SLUICE_NATS_CREDS', parse: optionalPath, fallback: () => '', help: 'NATS credentials file (JWT and NKey seed)' },
  natsToken: { flag: '--nats-token', env: 'SLUICE_NATS_TOKEN', parse: (raw) => raw, fallback: () => '', help: 'NATS token (prefer the variable SLUICE_NATS_TOKEN)' },
  natsCa: { flag: '--nats-ca', env: 'SLUICE_NATS_CA', parse: optionalPath, fallback: () => '', help: 'PEM CA bundle of the NATS server (implies TLS)' },
  natsCert: { flag: '--nats-cert', env: 'SLUICE_NATS_CERT', parse: optionalPath, fallback: () => '', help: 'PEM client certificate for NATS (with --nats-key)' },
  natsKey: { flag: '--nats-key', env: 'SLUICE_NATS_KEY', parse: optionalPath, fallback: () => '', help: 'PEM private key of --nats-cert' },
  logLevel: {
    flag: '--log-level',
    env: 'SLUICE_LOG_LEVEL',
    parse: oneOf(LOG_LEVELS),
    fallback: () => 'info',
    help: 'log level',
  },
});
