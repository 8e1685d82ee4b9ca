/**
 * `GET /ws`: the WebSocket endpoint. Registers @fastify/websocket with the bridge's limits, and a
 * preClose hook that cancels every socket's gRPC call and closes the socket with 1001.
 *
 * Before the upgrade, after the access hook has checked the token: the Origin must be the
 * bridge's own or an allowed one (403), and the bridge must be under `maxSockets` (503 with
 * Retry-After). Refusing at the HTTP step rather than closing an open socket costs no handshake,
 * and a non-browser client sees the status and the JSON reason.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { type BridgeAccess, requestCredentials } from '../access/bridge-access.js';
import { OriginPolicy } from '../access/origin-policy.js';
import type { PrivateSessions } from '../access/private-sessions.js';
import type { BridgeConfig } from '../bridge-config.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';
import { BridgeSocket } from './bridge-socket.js';

const MIB = 1024 * 1024;

/** Seconds a client refused for capacity is asked to wait. */
const RETRY_AFTER_S = 5;

/** Body of a 403 or 503 refusing an upgrade. */
export interface UpgradeRefusal {
  readonly error: { readonly code: 'ORIGIN_NOT_ALLOWED' | 'TOO_MANY_SOCKETS'; readonly message: string };
}

/** What the WebSocket route needs from the bridge. */
export interface WsRouteDeps {
  readonly config: BridgeConfig;
  readonly upstream: SluiceUpstream;
  readonly access: BridgeAccess;
  readonly privateSessions: PrivateSessions;
}

/** Registers the WebSocket plugin and `GET /ws`. */
export async function registerWsRoute(app: FastifyInstance, deps: WsRouteDeps): Promise<void> {
  const { config } = deps;
  const sockets = new Set<BridgeSocket>();
  const origins = new OriginPolicy(config.tls === undefined ? 'http' : 'https', config.allowedOrigins);
  // Added before the plugin's own preClose (which closes the ws server), so that clients get a
  // 1001 close with a reason and their gRPC calls are cancelled first.
  app.addHook('preClose', (done) => {
    for (const socket of sockets) socket.shutdown(config.closeGraceMs);
    sockets.clear();
    done();
  });
  await app.register(websocket, {
    // Frames a little over maxFrameBytes are read so they can be refused politely with
    // FRAME_TOO_LARGE; far larger messages close the socket (1009) unread.
    options: { maxPayload: Math.max(2 * config.maxFrameBytes, MIB) },
  });
  app.get(
    '/ws',
    {
      websocket: true,
      onRequest: async (request, reply) => {
        const origin = request.headers.origin;
        if (!origins.allows(origin, request.headers.host)) {
          request.log.info({ origin, host: request.headers.host }, 'websocket refused: origin not allowed');
          const body: UpgradeRefusal = {
            error: { code: 'ORIGIN_NOT_ALLOWED', message: `pages from ${String(origin)} may not open this bridge's WebSocket; the operator can allow them with --allowed-origin` },
          };
          return reply.code(403).send(body);
        }
        // The last step before the upgrade, which makes the socket without waiting on I/O: upgrades
        // arriving together can pass this check together only as far as microtasks interleave.
        if (sockets.size >= config.maxSockets) {
          request.log.warn({ maxSockets: config.maxSockets }, 'websocket refused: too many sockets');
          const body: UpgradeRefusal = { error: { code: 'TOO_MANY_SOCKETS', message: `the bridge serves at most ${config.maxSockets} WebSockets (maxSockets); try again later` } };
          return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(body);
        }
        return undefined;
      },
    },
    (socket, request) => {
      const bridgeSocket = new BridgeSocket(socket, { ...deps, logger: request.log, credentials: requestCredentials(request) });
      sockets.add(bridgeSocket);
      socket.once('close', () => sockets.delete(bridgeSocket));
    },
  );
}
