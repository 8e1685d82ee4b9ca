/**
 * JSON relays of the server's discovery calls: `GET /api/models` (ListModels) and
 * `GET /api/sessions` (ListSessions, without the private streams of other users). A failed call
 * answers 502 with the gRPC status. The access hook has checked the caller's role already.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ListModelsResponse, ListSessionsResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { isServiceError } from '../../client/index.js';
import type { PrivateSessions } from '../access/private-sessions.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

/** Body of a 502 from the API routes. */
export interface UpstreamFailure {
  readonly error: { readonly code: 'UPSTREAM_ERROR'; readonly grpcCode?: number; readonly message: string };
}

function upstreamFailure(reply: FastifyReply, err: unknown): UpstreamFailure {
  reply.code(502);
  if (isServiceError(err)) return { error: { code: 'UPSTREAM_ERROR', grpcCode: err.code, message: err.details } };
  reply.log.error({ err }, 'upstream call failed');
  return { error: { code: 'UPSTREAM_ERROR', message: 'the bridge could not reach the server' } };
}

export function registerApiRoutes(app: FastifyInstance, upstream: SluiceUpstream, privateSessions: PrivateSessions): void {
  app.get('/api/models', async (_request, reply) => {
    try {
      // toJSON leaves empty lists out; clients always get the list.
      return { models: [], ...(ListModelsResponse.toJSON(await upstream.listModels()) as object) };
    } catch (err: unknown) {
      return upstreamFailure(reply, err);
    }
  });
  app.get('/api/sessions', async (request, reply) => {
    try {
      const { sessions } = await upstream.listSessions();
      // The hook sets the principal on every route but /healthz; '' would match no owner.
      const user = request.principal?.name ?? '';
      const visible = sessions.filter((s) => privateSessions.mayList(s, user));
      return { sessions: [], ...(ListSessionsResponse.toJSON({ sessions: visible }) as object) };
    } catch (err: unknown) {
      return upstreamFailure(reply, err);
    }
  });
}
