/**
 * The one check at the boundary: a grpc-js server interceptor that runs before any handler of
 * any service (Sluice's, health, reflection) and ends the call with UNAUTHENTICATED or
 * PERMISSION_DENIED when the caller may not make it. A refused call never reaches its handler
 * and none of its messages is read.
 */
import { type ServerInterceptor, ServerInterceptingCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { Authorizer } from './authorizer.js';
import { bearerToken } from './bearer-token.js';

export function createAuthInterceptor(authorizer: Authorizer, logger: Logger): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            try {
              authorizer.authorize(method.path, bearerToken(metadata.get('authorization')[0]), call.getPeer());
            } catch (err: unknown) {
              const { code, details } = toGrpcStatus(err, logger);
              call.sendStatus({ code, details });
              return;
            }
            pass(metadata);
          },
        });
      },
    });
}
