/**
 * The gRPC server: the inference service, the Open Inference Protocol's
 * `inference.GRPCInferenceService`, `grpc.health.v1.Health` and server reflection on one port,
 * every call of every service behind the same authorization interceptor. Reflection is built from
 * the same proto files (`reflected-definitions.ts`), so grpcurl and `buf curl` need no local
 * copies.
 */
import { Server, ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { HealthImplementation } from 'grpc-health-check';
import { type InferenceServiceHandlers, inferenceServiceDefinition } from './inference-service.js';
import type { KserveService } from '../kserve/kserve-service.js';
import { loadReflectedDefinitions } from './reflected-definitions.js';
import type { ServerTls } from '../config/server-tls.js';

/** Options of `createGrpcServer`. */
export interface GrpcServerOptions {
  readonly service: InferenceServiceHandlers;
  /** The Open Inference Protocol (KServe v2), served beside `sluice.v1`. */
  readonly kserve: KserveService;
  readonly health: HealthImplementation;
  readonly maxMessageBytes: number;
  /** Run before every handler: the authorization check. */
  readonly interceptors: readonly ServerInterceptor[];
}

/** Creates the server with every service registered; the caller binds it. */
export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
    interceptors: [...options.interceptors],
  });
  server.addService(inferenceServiceDefinition, options.service);
  server.addService(options.kserve.definition, options.kserve.handlers);
  options.health.addToServer(server);
  new ReflectionService(loadReflectedDefinitions()).addToServer(server);
  return server;
}

/** The port's credentials: TLS (mutual when a client CA is set) or plaintext. */
export function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined);
}

/** Binds `server` to host:port and resolves with the port actually bound. */
export function bindServer(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err === null ? resolve(bound) : reject(err)));
  });
}

/**
 * Stops taking calls and resolves once the open ones have ended. After `forceAfterMs` every
 * connection is closed, so that a call that never ends cannot hold the shutdown.
 */
export function shutdownServer(server: Server, forceAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), forceAfterMs).unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
