/**
 * The server's configuration: one table of options (`SERVER_OPTIONS`), each settable by a
 * command-line flag, an environment variable or the configuration file (flags win), validated once
 * into a frozen object.
 */
import { basename, resolve } from 'node:path';
import { SluiceError } from '../errors.js';
import { type BindingConfig, checkBindings, parseBinding, parseBindingSpec } from '../ingest/binding-config.js';
import type { ModelFile } from '../repository/model-repository.js';
import type { ConfigFile } from './read-config-file.js';
import { type OptionSpec, SERVER_OPTIONS } from './server-options.js';

/** Validated, immutable server configuration. */
export interface ServerConfig {
  /** Address to listen on (default loopback: reaching the server from the network is the operator's decision). */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Model repository folder; '' when the server serves only `modelFiles`. */
  readonly modelsDir: string;
  /** ONNX files served with their configuration inferred (`--model [name=]path`). */
  readonly modelFiles: readonly ModelFile[];
  /** `--model` files' postprocessor (`none` for tensors), '' to infer it. */
  readonly postprocess: string;
  /** `--model` files' labels file; '' for none. */
  readonly labels: string;
  /** `--model` files' per-channel mean and standard deviation, comma-separated; '' for the defaults. */
  readonly mean: string;
  readonly std: string;
  /** `--model` files' channel order (rgb, bgr, gray) and resize (stretch, letterbox); '' to infer. */
  readonly channelOrder: string;
  readonly resize: string;
  /** `--model` files' image size as `WxH`; '' to infer. */
  readonly inputSize: string;
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
  /** Largest model a `PushModel` call may upload, all its files together, in bytes. */
  readonly maxModelBytes: number;
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
  /** NATS server URL(s), comma-separated, for the JetStream bindings; '' for none. */
  readonly nats: string;
  /** NATS credentials file (JWT and NKey seed); '' for none. */
  readonly natsCreds: string;
  /** NATS token; '' for none. */
  readonly natsToken: string;
  /** PEM CA bundle of the NATS server; set, the connection uses TLS. */
  readonly natsCa: string;
  /** PEM client certificate and key for NATS (mutual TLS). */
  readonly natsCert: string;
  readonly natsKey: string;
  /** NATS JetStream bindings: queues the server consumes inputs from. */
  readonly bindings: readonly BindingConfig[];
}

/** The server's scalar options: every setting but the list of bindings. */
export type OptionName = Exclude<keyof ServerConfig, 'bindings' | 'modelFiles'>;

/** Where a raw option value came from, for error messages. */
export interface ConfigSources {
  /** Values from flags, keyed by option name (`port`, `modelsDir`...). */
  readonly flags?: Readonly<Partial<Record<OptionName, string | number | boolean | undefined>>> & {
    /** `--bind` specs, one per binding. */
    readonly bindings?: readonly string[] | undefined;
    /** `--model` values, `[name=]path` each. */
    readonly modelFiles?: readonly string[] | undefined;
  };
  /** Environment, normally `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A configuration file's contents (see `readConfigFile`), below flags and environment. */
  readonly file?: ConfigFile;
}

/** The bindings of the first source that has any: flags, then environment, then the file. */
function readBindings({ flags, env, file }: ConfigSources): readonly BindingConfig[] {
  if (flags?.bindings !== undefined && flags.bindings.length > 0) {
    return checkBindings(flags.bindings.map((spec, i) => parseBindingSpec(spec, `--bind #${i + 1}`)));
  }
  const fromEnv = env?.SLUICE_BINDINGS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const specs = fromEnv.split(';').filter((spec) => spec.trim() !== '');
    return checkBindings(specs.map((spec, i) => parseBindingSpec(spec, `environment variable SLUICE_BINDINGS, binding #${i + 1}`)));
  }
  const fromFile = file?.bindings ?? [];
  return checkBindings(fromFile.map((raw, i) => parseBinding(raw, `${file?.path ?? 'configuration file'}: bindings[${i}]`)));
}

/**
 * The `--model` files of the first source that has any: flags, then `SLUICE_MODEL_FILES`
 * (;-separated), then the file's `modelFiles` list.
 */
function readModelFiles({ flags, env, file }: ConfigSources): readonly ModelFile[] {
  if (flags?.modelFiles !== undefined && flags.modelFiles.length > 0) return flags.modelFiles.map((spec) => parseModelFile(spec, '--model'));
  const fromEnv = env?.SLUICE_MODEL_FILES;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return fromEnv.split(';').filter((spec) => spec.trim() !== '').map((spec) => parseModelFile(spec, 'environment variable SLUICE_MODEL_FILES'));
  }
  return (file?.modelFiles ?? []).map((spec, i) => parseModelFile(spec, `${file?.path ?? 'configuration file'}: modelFiles[${i}]`));
}

/** `[name=]path`: the name defaults to the file's name without `.onnx`. */
export function parseModelFile(spec: string, where: string): ModelFile {
  const trimmed = spec.trim();
  const named = /^([A-Za-z0-9][\w.-]*)=(.+)$/.exec(trimmed);
  const path = named?.[2] ?? trimmed;
  if (!path.endsWith('.onnx')) throw new SluiceError('INVALID_CONFIG', `${where} must name an .onnx file, as [name=]path, got ${JSON.stringify(spec)}`);
  return { name: named?.[1] ?? basename(path, '.onnx'), path: resolve(path) };
}

/**
 * Builds the configuration from flags, then environment variables, then the configuration file,
 * then defaults. Throws a SluiceError with code INVALID_CONFIG naming the flag, variable or file
 * key at fault.
 */
export function resolveServerConfig(sources: ConfigSources = {}): ServerConfig {
  const { flags = {}, env = {}, file } = sources;
  const values: Record<string, string | number | boolean> = {};
  for (const [key, spec] of Object.entries(SERVER_OPTIONS) as [OptionName, OptionSpec][]) {
    const fromFlag = flags[key];
    const fromEnv = env[spec.env];
    if (fromFlag !== undefined) values[key] = spec.parse(String(fromFlag), spec.flag);
    else if (fromEnv !== undefined) values[key] = spec.parse(fromEnv, `environment variable ${spec.env}`);
    else if (file?.values[key] !== undefined) values[key] = spec.parse(String(file.values[key]), `${file.path}: ${key}`);
    else values[key] = spec.fallback();
  }
  values.bindings = readBindings(sources) as never;
  const modelFiles = readModelFiles(sources);
  values.modelFiles = modelFiles as never;
  const modelsDirGiven = flags.modelsDir !== undefined || env[SERVER_OPTIONS.modelsDir.env] !== undefined || file?.values.modelsDir !== undefined;
  if (!modelsDirGiven && modelFiles.length > 0) values.modelsDir = '';
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
  if (config.bindings.length > 0 && config.nats === '') {
    throw new SluiceError('INVALID_CONFIG', `bindings need a NATS server: set ${SERVER_OPTIONS.nats.flag} (or ${SERVER_OPTIONS.nats.env})`);
  }
  if ((config.natsCert === '') !== (config.natsKey === '')) {
    throw new SluiceError('INVALID_CONFIG', `${SERVER_OPTIONS.natsCert.flag} and ${SERVER_OPTIONS.natsKey.flag} go together: set both or neither`);
  }
  if (config.modelFiles.length === 0) {
    const stray = (['postprocess', 'labels', 'mean', 'std', 'channelOrder', 'resize', 'inputSize'] as const).find((key) => config[key] !== '');
    if (stray !== undefined) {
      throw new SluiceError('INVALID_CONFIG', `${SERVER_OPTIONS[stray].flag} shapes the configuration of --model files, and none is given (a model folder's model.yaml says it there)`);
    }
  }
  const maxStreamBytes = config.maxStreamBytes > 0 ? config.maxStreamBytes : Math.floor(config.maxInflightBytes / 4);
  return Object.freeze({ ...config, maxStreamBytes, modelsDir: config.modelsDir === '' ? '' : resolve(config.modelsDir) });
}
