/**
 * The bridge process's command line and environment, turned into `startBridge` options. Flags
 * win over SLUICE_BRIDGE_* variables, which win over the defaults; the options themselves are
 * checked by `resolveBridgeConfig`, whose errors name them.
 */
import { parseArgs } from 'node:util';
import { BridgeConfigError } from './bridge-config-error.js';
import type { StartBridgeOptions } from './start-bridge.js';
import type { UpstreamTlsOptions } from './tls-config.js';

/** What `sluice-bridge --help` prints. */
export const BRIDGE_USAGE = `usage: sluice-bridge [options]

  --server host:port           Sluice server [SLUICE_SERVER, localhost:50051]
  --host ADDRESS               address to listen on; 0.0.0.0 for the network [SLUICE_BRIDGE_HOST, 127.0.0.1]
  --port N                     port to listen on [SLUICE_BRIDGE_PORT, 8080]
  --tls-cert FILE              PEM certificate: serve HTTPS and WSS (with --tls-key) [SLUICE_BRIDGE_TLS_CERT]
  --tls-key FILE               PEM private key of --tls-cert [SLUICE_BRIDGE_TLS_KEY]
  --token-file FILE            users' tokens and roles (the server's format) [SLUICE_BRIDGE_TOKEN_FILE]
  --allowed-origin ORIGIN      another origin whose pages may open /ws; repeatable [SLUICE_BRIDGE_ALLOWED_ORIGINS, comma-separated]
  --max-sockets N              concurrent WebSockets [SLUICE_BRIDGE_MAX_SOCKETS, 256]
  --max-sources-per-socket N   sources one socket may have starting at once [SLUICE_BRIDGE_MAX_SOURCES_PER_SOCKET, 4]
  --upstream-tls               connect to the server with TLS (implied by the next four) [SLUICE_BRIDGE_UPSTREAM_TLS]
  --upstream-ca FILE           PEM CA bundle of the server's certificate [SLUICE_BRIDGE_UPSTREAM_CA]
  --upstream-cert FILE         PEM client certificate for mutual TLS [SLUICE_BRIDGE_UPSTREAM_CERT]
  --upstream-key FILE          PEM private key of --upstream-cert [SLUICE_BRIDGE_UPSTREAM_KEY]
  --upstream-server-name NAME  name the server's certificate carries [SLUICE_BRIDGE_UPSTREAM_SERVER_NAME]
  --upstream-token TOKEN       the bridge's own token for the server; prefer the variable [SLUICE_BRIDGE_UPSTREAM_TOKEN]
  --max-frame-bytes N          largest frame a browser may send [SLUICE_BRIDGE_MAX_FRAME_BYTES, 8 MiB]
  --max-upload-bytes N         largest model upload from the page (admin) [SLUICE_BRIDGE_MAX_UPLOAD_BYTES, 1 GiB]
  --public-dir DIR             the built viewer [SLUICE_BRIDGE_PUBLIC_DIR]
  --datasets DIR               labelled datasets for the evaluation page, one subfolder each [SLUICE_BRIDGE_DATASETS]
  --log-level LEVEL            [SLUICE_LOG_LEVEL, info]
`;

/** The parsed command line: options for `startBridge` (logger aside), or a request for help. */
export interface BridgeFlags {
  readonly help: boolean;
  readonly logLevel: string;
  readonly options: StartBridgeOptions;
}

function integer(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new BridgeConfigError(option, `must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** A switch from the environment: anything but '', 0, false, off and no turns it on. */
function envSwitch(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'off', 'no'].includes(value.trim().toLowerCase());
}

/** Leaves undefined values out, so that the bridge's defaults apply. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads `argv` (without node and the script) and `env`; throws `BridgeConfigError` naming a bad flag. */
export function readBridgeFlags(argv: readonly string[], env: NodeJS.ProcessEnv): BridgeFlags {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      server: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'token-file': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'max-sockets': { type: 'string' },
      'max-sources-per-socket': { type: 'string' },
      'upstream-tls': { type: 'boolean' },
      'upstream-ca': { type: 'string' },
      'upstream-cert': { type: 'string' },
      'upstream-key': { type: 'string' },
      'upstream-server-name': { type: 'string' },
      'upstream-token': { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'max-upload-bytes': { type: 'string' },
      'public-dir': { type: 'string' },
      datasets: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const upstreamFiles: UpstreamTlsOptions = defined({
    ca: values['upstream-ca'] ?? env['SLUICE_BRIDGE_UPSTREAM_CA'],
    cert: values['upstream-cert'] ?? env['SLUICE_BRIDGE_UPSTREAM_CERT'],
    key: values['upstream-key'] ?? env['SLUICE_BRIDGE_UPSTREAM_KEY'],
    serverName: values['upstream-server-name'] ?? env['SLUICE_BRIDGE_UPSTREAM_SERVER_NAME'],
  });
  const upstreamTls = values['upstream-tls'] === true || envSwitch(env['SLUICE_BRIDGE_UPSTREAM_TLS']) || Object.keys(upstreamFiles).length > 0;
  const originsFromEnv = env['SLUICE_BRIDGE_ALLOWED_ORIGINS']?.split(',').map((o) => o.trim()).filter((o) => o !== '');
  const options: StartBridgeOptions = {
    server: values.server ?? env['SLUICE_SERVER'] ?? 'localhost:50051',
    host: values.host ?? env['SLUICE_BRIDGE_HOST'] ?? '127.0.0.1',
    port: integer('--port', values.port ?? env['SLUICE_BRIDGE_PORT']) ?? 8080,
    ...defined({
      tlsCert: values['tls-cert'] ?? env['SLUICE_BRIDGE_TLS_CERT'],
      tlsKey: values['tls-key'] ?? env['SLUICE_BRIDGE_TLS_KEY'],
      tokenFile: values['token-file'] ?? env['SLUICE_BRIDGE_TOKEN_FILE'],
      allowedOrigins: values['allowed-origin'] ?? originsFromEnv,
      maxSockets: integer('--max-sockets', values['max-sockets'] ?? env['SLUICE_BRIDGE_MAX_SOCKETS']),
      maxSourcesPerSocket: integer('--max-sources-per-socket', values['max-sources-per-socket'] ?? env['SLUICE_BRIDGE_MAX_SOURCES_PER_SOCKET']),
      upstreamTls: upstreamTls ? upstreamFiles : undefined,
      upstreamToken: values['upstream-token'] ?? env['SLUICE_BRIDGE_UPSTREAM_TOKEN'],
      maxFrameBytes: integer('--max-frame-bytes', values['max-frame-bytes'] ?? env['SLUICE_BRIDGE_MAX_FRAME_BYTES']),
      maxUploadBytes: integer('--max-upload-bytes', values['max-upload-bytes'] ?? env['SLUICE_BRIDGE_MAX_UPLOAD_BYTES']),
      publicDir: values['public-dir'] ?? env['SLUICE_BRIDGE_PUBLIC_DIR'],
      datasets: values.datasets ?? env['SLUICE_BRIDGE_DATASETS'],
    }),
  };
  return { help: values.help === true, logLevel: values['log-level'] ?? env['SLUICE_LOG_LEVEL'] ?? 'info', options };
}
