/**
 * Starts a real Sluice server for a test, on port 0, with the repository's models, and stops it
 * when the test ends.
 */
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SluiceClient } from '../../client/index.js';
import { type OptionName, SluiceServer, createLogger, resolveServerConfig } from '../../server/index.js';

/** The repository's model folder. */
export const MODELS_DIR = join(import.meta.dirname, '..', '..', 'models');

export interface TestServer {
  readonly server: SluiceServer;
  readonly client: SluiceClient;
  readonly address: string;
}

/**
 * Starts a server (2 workers, 1 thread each, quiet) with `overrides`, cleaned up after `t`;
 * `options.logger` replaces the quiet one (to read what the server logs).
 */
export async function startTestServer(
  t: Pick<TestContext, 'after'>,
  overrides: Partial<Record<OptionName, string | number>> & { readonly bindings?: readonly string[]; readonly modelFiles?: readonly string[] } = {},
  options: { readonly logger?: Logger } = {},
): Promise<TestServer> {
  const config = resolveServerConfig({
    flags: { host: '127.0.0.1', port: 0, modelsDir: MODELS_DIR, workers: 2, intraOpThreads: 1, logLevel: 'silent', metricsPort: -1, ...overrides },
  });
  const server = await SluiceServer.start(config, { logger: options.logger ?? createLogger({ level: config.logLevel, pretty: false }) });
  const address = `127.0.0.1:${server.port}`;
  const client = new SluiceClient(address);
  t.after(async () => {
    client.close();
    await server.close();
  });
  return { server, client, address };
}
