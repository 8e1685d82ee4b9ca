/**
 * An HTTP (or, when asked, HTTPS) server that answers `GET /metrics` in Prometheus' text format.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Certificate and key for HTTPS. */
export interface MetricsTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export async function startMetricsEndpoint(registry: Registry, host: string, port: number, tls?: MetricsTls): Promise<MetricsEndpoint> {
  const answer = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  };
  const server: Server = tls === undefined ? createServer(answer) : createHttpsServer({ cert: tls.cert, key: tls.key }, answer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
