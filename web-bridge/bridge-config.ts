/**
 * The bridge's options, validated once into a frozen `BridgeConfig`.
 */
import { resolve } from 'node:path';
import { BridgeConfigError } from './bridge-config-error.js';
import { DEFAULT_PUBLIC_DIR } from './package-root.js';

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
}

/** The validated options. */
export type BridgeConfig = Readonly<Required<BridgeOptions>>;

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

/** Checks `options` and returns the frozen configuration; throws `BridgeConfigError` naming the option. */
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
    maxSocketBufferBytes: positiveInteger(raw, 'maxSocketBufferBytes', MIB),
    defaultWindow: positiveInteger(raw, 'defaultWindow', Math.min(4, maxWindow), maxWindow),
    maxWindow,
    watchMaxWidth: positiveInteger(raw, 'watchMaxWidth', 640, 8192),
    publicDir: resolve(publicDir ?? DEFAULT_PUBLIC_DIR),
    closeGraceMs: positiveInteger(raw, 'closeGraceMs', 2000),
    upstreamTimeoutMs: positiveInteger(raw, 'upstreamTimeoutMs', 5000),
  };
  return Object.freeze(config);
}
