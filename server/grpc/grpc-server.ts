/**
 * The gRPC server: the inference service, `grpc.health.v1.Health` and server reflection on one
 * port. Reflection is built from the same proto files with proto-loader, so grpcurl and
 * `buf curl` need no local copies.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { HealthImplementation } from 'grpc-health-check';
import { type InferenceServiceHandlers, inferenceServiceDefinition } from './inference-service.js';
import { PROTOS_DIR } from '../package-root.js';

/** Options of `createGrpcServer`. */
export interface GrpcServerOptions {
  readonly service: InferenceServiceHandlers;
  readonly health: HealthImplementation;
  readonly maxMessageBytes: number;
}

function loadReflectedDefinitions(): ReturnType<typeof loadSync> {
  return loadSync(['sluice/v1/inference_service.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [PROTOS_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

/** Creates the server with every service registered; the caller binds it. */
export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(inferenceServiceDefinition, options.service);
  options.health.addToServer(server);
  new ReflectionService(loadReflectedDefinitions()).addToServer(server);
  return server;
}

/** Binds `server` to host:port and resolves with the port actually bound. */
export function bindServer(server: Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => (err === null ? resolve(bound) : reject(err)));
  });
}
