/**
 * The NATS side of the `publish` and `results` commands: the connection flags they share (`--nats`,
 * `--nats-token`, `--nats-creds`, `--nats-ca`, `--nats-cert`, `--nats-key`, each with its
 * `SLUICE_NATS*` variable, the same names `sluice serve` reads), and a connection that fails fast
 * with one line naming the server when it cannot be reached.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { AuthorizationError, type NatsConnection, type NodeConnectionOptions, connect, credsAuthenticator } from '@nats-io/transport-node';
import { CliError } from '../cli-context.js';

/** The flags as commander parses them (environment variables included). */
export interface NatsFlags {
  readonly nats: string;
  readonly natsToken?: string;
  readonly natsCreds?: string;
  readonly natsCa?: string;
  readonly natsCert?: string;
  readonly natsKey?: string;
}

/** Where the CLI looks for NATS when neither --nats nor SLUICE_NATS says. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Adds the NATS connection options to a command. */
export function addNatsOptions(command: Command): Command {
  return command
    .addOption(new Option('--nats <url>', 'NATS server(s), comma-separated').env('SLUICE_NATS').default(DEFAULT_NATS_URL))
    .addOption(new Option('--nats-token <token>', 'NATS token (prefer the variable SLUICE_NATS_TOKEN)').env('SLUICE_NATS_TOKEN'))
    .addOption(new Option('--nats-creds <file>', 'NATS credentials file (JWT and NKey seed)').env('SLUICE_NATS_CREDS'))
    .addOption(new Option('--nats-ca <file>', 'PEM CA bundle of the NATS server (implies TLS)').env('SLUICE_NATS_CA'))
    .addOption(new Option('--nats-cert <file>', 'PEM client certificate for NATS (with --nats-key)').env('SLUICE_NATS_CERT'))
    .addOption(new Option('--nats-key <file>', 'PEM private key of --nats-cert').env('SLUICE_NATS_KEY'));
}

/** An open connection with its JetStream manager. */
export interface NatsSession {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** The servers, as given: for messages. */
  readonly servers: string;
}

/**
 * Connects and checks that JetStream is there. Fails with exit code 2 when no server answers, 1
 * when the server refuses the credentials or has no JetStream.
 */
export async function connectNats(flags: NatsFlags, timeoutMs: number): Promise<NatsSession> {
  const servers = flags.nats.split(',').map((url) => url.trim()).filter((url) => url !== '');
  if (servers.length === 0) throw new CliError('--nats must name a NATS server, e.g. nats://127.0.0.1:4222');
  const label = servers.join(',');
  const options: NodeConnectionOptions = {
    servers,
    name: 'sluice-cli',
    timeout: Math.min(timeoutMs, 10_000),
    ...(flags.natsToken === undefined || flags.natsToken === '' ? {} : { token: flags.natsToken }),
    ...(flags.natsCreds === undefined || flags.natsCreds === '' ? {} : { authenticator: credsAuthenticator(readFlagFile(flags.natsCreds, '--nats-creds')) }),
    ...tlsOptions(flags),
  };
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch (err: unknown) {
    if (err instanceof AuthorizationError) {
      throw new CliError(`the NATS server at ${label} refused the connection: ${err.message} (check --nats-token, --nats-creds)`);
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot reach a NATS server at ${label} (${reason}; set --nats or SLUICE_NATS)`, 2);
  }
  try {
    return { nc, jsm: await jetstreamManager(nc, { timeout: Math.min(timeoutMs, 10_000) }), servers: label };
  } catch (err: unknown) {
    await nc.close();
    throw new CliError(`JetStream is not available on the NATS server at ${label} (${err instanceof Error ? err.message : String(err)}; start nats-server with -js)`);
  }
}

function tlsOptions(flags: NatsFlags): Pick<NodeConnectionOptions, 'tls'> {
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  if (given(flags.natsCert) !== given(flags.natsKey)) throw new CliError('--nats-cert and --nats-key go together: give both or neither');
  if (!given(flags.natsCa) && !given(flags.natsCert)) return {};
  return {
    tls: {
      ...(given(flags.natsCa) ? { ca: readFlagFile(flags.natsCa, '--nats-ca').toString('utf8') } : {}),
      ...(given(flags.natsCert) ? { cert: readFlagFile(flags.natsCert, '--nats-cert').toString('utf8') } : {}),
      ...(given(flags.natsKey) ? { key: readFlagFile(flags.natsKey, '--nats-key').toString('utf8') } : {}),
    },
  };
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new CliError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}
