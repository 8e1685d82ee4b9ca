/**
 * Builds the bridge: a Fastify app that is a gRPC client of one Sluice server.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type BridgeOptions, resolveBridgeConfig } from './bridge-config.js';
import { registerApiRoutes } from './routes/api-routes.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerViewerRoutes } from './routes/viewer-routes.js';
import { SluiceUpstream } from './upstream/sluice-upstream.js';
import { registerWsRoute } from './ws/ws-route.js';

const MIB = 1024 * 1024;

/** Options of `createBridge`: the bridge's settings and its logger. */
export interface CreateBridgeOptions extends BridgeOptions {
  /** A pino-compatible logger, or false for none (default: none). */
  readonly logger?: FastifyBaseLogger | false;
}

/**
 * Creates the bridge, ready but not listening. `app.close()` closes every WebSocket (1001),
 * cancels the gRPC calls and closes the channel.
 */
export async function createBridge(options: CreateBridgeOptions): Promise<FastifyInstance> {
  const config = resolveBridgeConfig(options);
  const logger = options.logger;
  const app = (logger === undefined || logger === false
    ? Fastify({ logger: false })
    : Fastify({ loggerInstance: logger, disableRequestLogging: true })) as unknown as FastifyInstance;
  // Watch replies carry display JPEGs; a frame forwarded to Predict is at most maxFrameBytes.
  const upstream = new SluiceUpstream(config.server, { maxMessageBytes: Math.max(config.maxFrameBytes + MIB, 16 * MIB), timeoutMs: config.upstreamTimeoutMs });
  app.addHook('onClose', async () => upstream.close());
  try {
    await registerWsRoute(app, config, upstream);
    registerApiRoutes(app, upstream);
    registerHealthRoute(app, upstream);
    await registerViewerRoutes(app, config.publicDir);
    await app.ready();
  } catch (err: unknown) {
    await app.close();
    throw err;
  }
  return app;
}
