/**
 * A Sluice server of one scenario's own, on a temporary repository holding only the models it
 * needs (as the repository configures them), with the benchmark's clients connected.
 */
import { createModelsDir } from './models-dir.js';
import { startSluice } from './server-process.js';
import { type Connection, connect } from './sluice-scenarios.js';

/** Options of `startScenarioServer`. */
export interface ScenarioServerOptions {
  /** Folder names under `models/`. */
  readonly models: readonly string[];
  /** More `sluice serve` arguments. */
  readonly extraArgs?: readonly string[];
}

/** A connected server; `close()` disconnects, stops it and removes its repository. */
export interface ScenarioServer extends Connection {
  close(): Promise<void>;
}

/** Starts the server and connects to it. */
export async function startScenarioServer(options: ScenarioServerOptions): Promise<ScenarioServer> {
  const dir = createModelsDir({ models: options.models, batching: true });
  try {
    const server = await startSluice({ modelsDir: dir.path, extraArgs: options.extraArgs ?? [] });
    try {
      const connection = await connect(server);
      return {
        ...connection,
        close: async () => {
          connection.close();
          try {
            await server.stop();
          } finally {
            dir.remove();
          }
        },
      };
    } catch (err: unknown) {
      await server.stop();
      throw err;
    }
  } catch (err: unknown) {
    dir.remove();
    throw err;
  }
}
