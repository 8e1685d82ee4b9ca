/**
 * The bridge's options, validated once into a frozen `BridgeConfig`.
 */
import { resolve } from 'node:path';
import type { ConnectionSecurity } from '../client/index.js';
import { normalizeOrigin } from './access/origin-policy.js';
import { BridgeConfigError } from './bridge-config-error.js';
import { DatasetCatalogue } from './datasets/dataset-catalogue.js';
import { DatasetError } from './datasets/dataset-error.js';
import { DEFAULT_PUBLIC_DIR } from './package-root.js';
import { type ListenTls, type UpstreamTlsOptions, resolveListenTls, resolveUpstreamSecurity } from './tls-config.js';

const MIB = 1024 * 1024;

/** Options of `createBridge`. Everything but `server` has a default. */
export interface BridgeOptions {
  /** The Sluice server, `host:port` (or any grpc-js target such as `dns:host:port`). */
  readonly server: string;
  /** Largest frame a browser may send, in bytes (default 8 MiB). Larger frames get FRAME_TOO_LARGE; messages over twice this close the socket (1009). */
  readonly maxFrameBytes?: number;
  /**
   * Bytes a socket may have waiting to be sent before results for it are dropped (default 1 MiB).
   * Control messages are always sent; a socket holding 8 times this is closed (1013).
   */
  readonly maxSocketBufferBytes?: number;
  /** Window of a source stream when `source` gives none (default 4). */
  readonly defaultWindow?: number;
  /** Largest window a `source` may ask for (default 32). */
  readonly maxWindow?: number;
  /** Display width asked of Watch when `watch` gives none (default 640). */
  readonly watchMaxWidth?: number;
  /** Folder of the built viewer (default `dist/web-bridge/public` in the package). */
  readonly publicDir?: string;
  /** Milliseconds a closing bridge waits for sockets to finish their close handshake before cutting them (default 2000). */
  readonly closeGraceMs?: number;
  /** Milliseconds allowed for ListModels and ListSessions (default 5000). */
  readonly upstreamTimeoutMs?: number;
  /** PEM certificate chain: serve HTTPS and WSS (with `tlsKey`). Read at start. */
  readonly tlsCert?: string;
  /** PEM private key of `tlsCert`. */
  readonly tlsKey?: string;
  /** TLS to the Sluice server: true for the system's CAs, or PEM file paths (default: plaintext). */
  readonly upstreamTls?: boolean | UpstreamTlsOptions;
  /** The bridge's own token, sent as `authorization: Bearer` on every call to the server. */
  readonly upstreamToken?: string;
  /**
   * Token file of the bridge's users (the server's format). When set, the page, `/api/*` and `/ws`
   * need a token with the right role; without one, everyone may use the bridge.
   */
  readonly tokenFile?: string;
  /**
   * Origins (`scheme://host[:port]`) whose pages may open `/ws`, besides the bridge's own
   * (default: none). Upgrades carrying another Origin are refused with 403.
   */
  readonly allowedOrigins?: readonly string[];
  /** Concurrent WebSockets (default 256); an upgrade beyond is refused with 503. */
  readonly maxSockets?: number;
  /**
   * Sources one socket may have starting at once (default 4). A socket streams one source at a
   * time and a new one replaces it; each start first lists the server's models, and a `source`
   * sent while this many starts wait is refused with TOO_MANY_SOURCES.
   */
  readonly maxSourcesPerSocket?: number;
  /**
   * Folder of labelled datasets for the batch evaluation page: each subfolder is one, with class
   * folders or a labels.csv. Scanned once at start; an invalid one fails the start (default: none).
   */
  readonly datasets?: string;
  /** Largest model upload from the page, all its files together, in bytes (default 1 GiB). */
  readonly maxUploadBytes?: number;
}

/** The validated options, with the TLS files read. */
export interface BridgeConfig {
  readonly server: string;
  readonly maxFrameBytes: number;
  readonly maxSocketBufferBytes: number;
  readonly defaultWindow: number;
  readonly maxWindow: number;
  readonly watchMaxWidth: number;
  readonly publicDir: string;
  readonly closeGraceMs: number;
  readonly upstreamTimeoutMs: number;
  /** The HTTPS key pair; undefined: plain HTTP. */
  readonly tls: ListenTls | undefined;
  /** TLS and token of the calls to the server. */
  readonly upstream: ConnectionSecurity;
  /** '' when the bridge takes no tokens. */
  readonly tokenFile: string;
  /** Normalized (`new URL(o).origin`). */
  readonly allowedOrigins: readonly string[];
  readonly maxSockets: number;
  readonly maxSourcesPerSocket: number;
  /** The datasets found in `datasets`; `DatasetCatalogue.EMPTY` without it. */
  readonly datasets: DatasetCatalogue;
  readonly maxUploadBytes: number;
}

function positiveInteger(options: Record<string, unknown>, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new BridgeConfigError(`options.${name}`, `must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkServer(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BridgeConfigError('options.server', `must be the Sluice server's address as host:port, got ${JSON.stringify(value)}`);
  }
  // grpc-js targets with a scheme (dns:, unix:, ipv4:) are passed through as they are.
  if (/^[a-z0-9+.-]+:(?!\d+$)/i.test(value)) return value;
  const match = /^(.+):(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new BridgeConfigError('options.server', `must be host:port with a port from 1 to 65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkTokenFile(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value === '') throw new BridgeConfigError('options.tokenFile', `must be a file path, got ${JSON.stringify(value)}`);
  return value;
}

function scanDatasets(value: unknown): DatasetCatalogue {
  if (value === undefined) return DatasetCatalogue.EMPTY;
  if (typeof value !== 'string' || value === '') throw new BridgeConfigError('options.datasets', `must be a folder path, got ${JSON.stringify(value)}`);
  try {
    return DatasetCatalogue.scan(value);
  } catch (err: unknown) {
    if (err instanceof DatasetError) throw new BridgeConfigError('options.datasets', `(${value}) is not a usable folder of datasets: ${err.message}`);
    throw err;
  }
}

function checkAllowedOrigins(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new BridgeConfigError('options.allowedOrigins', `must be a list of origins such as https://viewer.example, got ${JSON.stringify(value)}`);
  return Object.freeze(
    value.map((origin: unknown, i) => {
      const normalized = typeof origin === 'string' ? normalizeOrigin(origin) : undefined;
      if (normalized === undefined) {
        throw new BridgeConfigError(`options.allowedOrigins[${i}]`, `must be an origin, scheme://host[:port] with no path, got ${JSON.stringify(origin)}`);
      }
      return normalized;
    }),
  );
}

/**
 * Checks `options`, reads the TLS files they name, scans the datasets folder, and returns the
 * frozen configuration; throws `BridgeConfigError` naming the option.
 */
export function resolveBridgeConfig(options: BridgeOptions): BridgeConfig {
  if (typeof options !== 'object' || options === null) throw new BridgeConfigError('options', 'must be an object');
  const raw = options as unknown as Record<string, unknown>;
  const publicDir = raw['publicDir'];
  if (publicDir !== undefined && (typeof publicDir !== 'string' || publicDir === '')) {
    throw new BridgeConfigError('options.publicDir', `must be a folder path, got ${JSON.stringify(publicDir)}`);
  }
  const maxWindow = positiveInteger(raw, 'maxWindow', 32, 1024);
  const config: BridgeConfig = {
    server: checkServer(raw['server']),
    maxFrameBytes: positiveInteger(raw, 'maxFrameBytes', 8 * MIB, 1024 * MIB),
    maxUploadBytes: positiveInteger(raw, 'maxUploadBytes', 1024 * MIB),
    maxSocketBufferBytes: positiveInteger(raw, 'maxSocketBufferBytes', MIB),
    defaultWindow: positiveInteger(raw, 'defaultWindow', Math.min(4, maxWindow), maxWindow),
    maxWindow,
    watchMaxWidth: positiveInteger(raw, 'watchMaxWidth', 640, 8192),
    publicDir: resolve(publicDir ?? DEFAULT_PUBLIC_DIR),
    closeGraceMs: positiveInteger(raw, 'closeGraceMs', 2000),
    upstreamTimeoutMs: positiveInteger(raw, 'upstreamTimeoutMs', 5000),
    tls: resolveListenTls(raw),
    upstream: resolveUpstreamSecurity(raw),
    tokenFile: checkTokenFile(raw['tokenFile']),
    allowedOrigins: checkAllowedOrigins(raw['allowedOrigins']),
    maxSockets: positiveInteger(raw, 'maxSockets', 256, 1_000_000),
    maxSourcesPerSocket: positiveInteger(raw, 'maxSourcesPerSocket', 4, 1024),
    datasets: scanDatasets(raw['datasets']),
  };
  return Object.freeze(config);
}
