/**
 * Creates the bridge and listens: what `main.ts` and an all-in-one `npm start` call.
 */
import type { FastifyInstance } from 'fastify';
import { BridgeConfigError } from './bridge-config-error.js';
import { type CreateBridgeOptions, createBridge } from './create-bridge.js';

/** Options of `startBridge`. */
export interface StartBridgeOptions extends CreateBridgeOptions {
  /** Address to listen on (default 0.0.0.0). */
  readonly host?: string;
  /** Port to listen on; 0 takes any free port (default 8080). */
  readonly port?: number;
}

/** A listening bridge. */
export interface RunningBridge {
  readonly app: FastifyInstance;
  /** `http://host:port` of the viewer. */
  readonly url: string;
  readonly port: number;
  /** Closes sockets (1001), cancels gRPC calls and stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startBridge(options: StartBridgeOptions): Promise<RunningBridge> {
  const host = options.host ?? '0.0.0.0';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BridgeConfigError('options.port', `must be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  if (typeof host !== 'string' || host === '') throw new BridgeConfigError('options.host', `must be an address to listen on, got ${JSON.stringify(host)}`);
  const app = await createBridge(options);
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
    url: `http://${shownHost}:${boundPort}`,
    port: boundPort,
    close: () => (closing ??= app.close()),
  };
}
