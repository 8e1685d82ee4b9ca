/**
 * Builds the bridge: a Fastify app that is a gRPC client of one Sluice server.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { registerAccessHook } from './access/access-hook.js';
import { BridgeAccess } from './access/bridge-access.js';
import { PrivateSessions } from './access/private-sessions.js';
import { type BridgeOptions, resolveBridgeConfig } from './bridge-config.js';
import { registerApiRoutes } from './routes/api-routes.js';
import { registerDatasetRoutes } from './routes/dataset-routes.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerModelRoutes } from './routes/model-routes.js';
import { registerViewerRoutes } from './routes/viewer-routes.js';
import { SluiceUpstream } from './upstream/sluice-upstream.js';
import { registerWsRoute } from './ws/ws-route.js';

const MIB = 1024 * 1024;

/** Options of `createBridge`: the bridge's settings and its logger. */
export interface CreateBridgeOptions extends BridgeOptions {
  /** A pino logger, or false for none (default: none). */
  readonly logger?: Logger | false;
}

/** A bridge as `assembleBridge` builds it: the app, and what `startBridge` also needs. */
export interface AssembledBridge {
  readonly app: FastifyInstance;
  /** Rereads the token file; an invalid one rejects and leaves the tokens in force. */
  reloadTokens(): Promise<void>;
}

/**
 * Creates the bridge, ready but not listening. `app.close()` closes every WebSocket (1001),
 * cancels the gRPC calls and closes the channel.
 */
export async function createBridge(options: CreateBridgeOptions): Promise<FastifyInstance> {
  return (await assembleBridge(options)).app;
}

/** `createBridge`, keeping a handle on the token file for `startBridge`. */
export async function assembleBridge(options: CreateBridgeOptions): Promise<AssembledBridge> {
  const config = resolveBridgeConfig(options);
  const logger = options.logger === undefined || options.logger === false ? undefined : options.logger;
  const access = await BridgeAccess.create(config.tokenFile, logger ?? pino({ enabled: false }));
  const https = config.tls === undefined ? {} : { https: { cert: config.tls.cert, key: config.tls.key } };
  const app = (logger === undefined
    ? Fastify({ logger: false, ...https })
    : Fastify({ loggerInstance: logger, disableRequestLogging: true, ...https })) as unknown as FastifyInstance;
  // Watch replies carry display JPEGs; a frame forwarded to Predict is at most maxFrameBytes.
  const upstream = new SluiceUpstream(config.server, {
    maxMessageBytes: Math.max(config.maxFrameBytes + MIB, 16 * MIB),
    timeoutMs: config.upstreamTimeoutMs,
    security: config.upstream,
  });
  const privateSessions = new PrivateSessions(access.requiresTokens);
  app.addHook('onClose', async () => upstream.close());
  try {
    await registerWsRoute(app, { config, upstream, access, privateSessions });
    // After the WebSocket plugin, whose own onRequest hook marks upgrades so that a refused one
    // has its socket closed; refused before that mark, the socket would stay open and keep
    // app.close() waiting. Hooks apply to every route of the instance, whenever it was added.
    registerAccessHook(app, access, config.tls !== undefined);
    registerApiRoutes(app, upstream, privateSessions);
    registerDatasetRoutes(app, config.datasets);
    await registerModelRoutes(app, upstream, config.maxUploadBytes);
    registerHealthRoute(app, upstream);
    await registerViewerRoutes(app, config.publicDir);
    await app.ready();
  } catch (err: unknown) {
    await app.close();
    throw err;
  }
  return { app, reloadTokens: () => access.reload() };
}
