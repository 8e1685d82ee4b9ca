/**
 * Creates the bridge and listens: what `main.ts` and an all-in-one `npm start` call.
 */
import type { FastifyInstance } from 'fastify';
import { BridgeConfigError } from './bridge-config-error.js';
import { type CreateBridgeOptions, assembleBridge } from './create-bridge.js';

/** Options of `startBridge`. */
export interface StartBridgeOptions extends CreateBridgeOptions {
  /** Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 or :: to serve the network). */
  readonly host?: string;
  /** Port to listen on; 0 takes any free port (default 8080). */
  readonly port?: number;
}

/** A listening bridge. */
export interface RunningBridge {
  readonly app: FastifyInstance;
  /** `http://host:port` of the viewer (`https://` with `tlsCert`). */
  readonly url: string;
  readonly port: number;
  /**
   * Rereads the token file (what the bridge process does on SIGHUP): removed tokens stop working
   * at once, on sockets already open too. An invalid file rejects and leaves the tokens in force.
   */
  reloadTokens(): Promise<void>;
  /** Closes sockets (1001), cancels gRPC calls and stops listening. Idempotent. */
  close(): Promise<void>;
}

/** Creates the bridge and listens; `url` is where the viewer is. */
export async function startBridge(options: StartBridgeOptions): Promise<RunningBridge> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BridgeConfigError('options.port', `must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  if (typeof host !== 'string' || host === '') throw new BridgeConfigError('options.host', `must be an address to listen on, got ${JSON.stringify(host)}`);
  const { app, reloadTokens } = await assembleBridge(options);
  try {
    await app.listen({ host, port });
  } catch (err: unknown) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `${options.tlsCert === undefined ? 'http' : 'https'}://${shownHost}:${boundPort}`,
    port: boundPort,
    reloadTokens,
    close: () => (closing ??= app.close()),
  };
}
