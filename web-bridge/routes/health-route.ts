/**
 * `GET /healthz`: liveness of the bridge, with the gRPC channel's state for information. It makes
 * no call to the server, so it answers 200 while the bridge itself runs.
 */
import { connectivityState } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

export function registerHealthRoute(app: FastifyInstance, upstream: SluiceUpstream): void {
  app.get('/healthz', async () => ({
    status: 'ok',
    server: upstream.address,
    channel: connectivityState[upstream.connectivity()],
    openCalls: upstream.openCalls,
  }));
}
