/**
 * The servers every model is measured against, up for a whole run (idle ones cost nothing): the
 * echo server and two Sluice servers, one with the repository's batching and one with it off.
 */
import type { BenchModel } from './bench-models.js';
import { type EchoServer, startEchoServer } from './echo-service.js';
import { createModelsDir } from './models-dir.js';
import { startSluice } from './server-process.js';
import { type Connection, connect } from './sluice-scenarios.js';

/** The running servers; `close()` stops them and removes their model folders. */
export interface Servers {
  readonly echo: EchoServer;
  readonly withBatching: Connection;
  readonly withoutBatching: Connection;
  close(): Promise<void>;
}

/** Starts the echo server and two Sluice servers: the repository's batching and batching off. */
export async function startServers(models: readonly BenchModel[]): Promise<Servers> {
  const names = models.map((m) => m.name);
  const dirs = [createModelsDir({ models: names, batching: true }), createModelsDir({ models: names, batching: false })];
  const started: { stop(): Promise<void> }[] = [];
  const connections: Connection[] = [];
  const close = async (): Promise<void> => {
    for (const c of connections) c.close();
    await Promise.all(started.map((s) => s.stop()));
    for (const dir of dirs) dir.remove();
  };
  try {
    const echo = await startEchoServer();
    started.push(echo);
    for (const dir of dirs) {
      const server = await startSluice({ modelsDir: dir.path });
      started.push(server);
      connections.push(await connect(server));
    }
    const [withBatching, withoutBatching] = connections as [Connection, Connection];
    return { echo, withBatching, withoutBatching, close };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}
