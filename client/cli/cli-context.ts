/**
 * What every client command shares: the server address, timeouts, output mode, and how failures
 * are reported (one line and a non-zero exit; the stack only with --verbose).
 */
import { status } from '@grpc/grpc-js';
import type { ConnectionSecurity } from '../connection-security.js';
import { SluiceClient, isServiceError } from '../sluice-client.js';

/** Options common to every command that talks to a server. */
export interface GlobalOptions {
  readonly server: string;
  readonly timeout: number;
  readonly verbose: boolean;
  /** TLS and token, from --tls, --ca, --cert, --key, --server-name and --token. */
  readonly security: ConnectionSecurity;
}

/** An error meant for the user: its message is the whole story. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Opens a client and fails fast with a clear message when the server cannot be reached. */
export async function connect(options: GlobalOptions): Promise<SluiceClient> {
  const client = new SluiceClient(options.server, options.security);
  try {
    await client.waitForReady(Math.min(options.timeout, 10_000));
  } catch {
    client.close();
    const hint = options.security.tls === undefined
      ? 'set --server or SLUICE_SERVER; --tls if it serves TLS'
      : 'set --server or SLUICE_SERVER; with TLS, check that --ca signed its certificate, that the certificate names the host (or --server-name), and --cert/--key if it requires a client certificate';
    throw new CliError(`cannot reach a Sluice server at ${options.server} (${hint})`, 2);
  }
  return client;
}

/** Prints `err` as one line on stderr and returns the exit code to use. */
export function reportError(err: unknown, verbose: boolean): number {
  if (verbose && err instanceof Error && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) {
    process.stderr.write(`sluice: ${err.message}\n`);
    return err.exitCode;
  }
  if (isServiceError(err)) {
    process.stderr.write(`sluice: ${status[err.code] ?? err.code}: ${err.details}\n`);
    return 1;
  }
  process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
