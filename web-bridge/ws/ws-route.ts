/**
 * `GET /ws`: the WebSocket endpoint. Registers @fastify/websocket with the bridge's limits, and a
 * preClose hook that cancels every socket's gRPC call and closes the socket with 1001.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { BridgeConfig } from '../bridge-config.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';
import { BridgeSocket } from './bridge-socket.js';

const MIB = 1024 * 1024;

export async function registerWsRoute(app: FastifyInstance, config: BridgeConfig, upstream: SluiceUpstream): Promise<void> {
  const sockets = new Set<BridgeSocket>();
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
  app.get('/ws', { websocket: true }, (socket, request) => {
    const bridgeSocket = new BridgeSocket(socket, { config, upstream, logger: request.log });
    sockets.add(bridgeSocket);
    socket.once('close', () => sockets.delete(bridgeSocket));
  });
}
