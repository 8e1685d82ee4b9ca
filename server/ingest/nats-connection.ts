/**
 * The server's one NATS connection, shared by its bindings: built from the `--nats*` options, it
 * reconnects by itself for as long as the server runs, and reports whether it is connected.
 */
import { readFile } from 'node:fs/promises';
import { type ConnectionOptions, type NatsConnection, connect, credsAuthenticator } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { SluiceError } from '../errors.js';

/** The options `connectNats` reads. */
export type NatsSettings = Pick<ServerConfig, 'nats' | 'natsCreds' | 'natsToken' | 'natsCa' | 'natsCert' | 'natsKey'>;

async function readOption(path: string, flag: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err: unknown) {
    throw new SluiceError('INVALID_CONFIG', `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The connection options the settings describe (files read and checked here). */
export async function natsConnectionOptions(settings: NatsSettings): Promise<ConnectionOptions> {
  const options: ConnectionOptions = {
    servers: settings.nats.split(',').map((url) => url.trim()),
    name: 'sluice',
    // A server that lost NATS keeps trying for as long as it runs; its bindings wait meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  };
  if (settings.natsToken !== '') options.token = settings.natsToken;
  if (settings.natsCreds !== '') {
    const creds = await readOption(settings.natsCreds, '--nats-creds');
    options.authenticator = credsAuthenticator(creds);
  }
  if (settings.natsCa !== '' || settings.natsCert !== '') {
    options.tls = {
      ...(settings.natsCa === '' ? {} : { ca: (await readOption(settings.natsCa, '--nats-ca')).toString() }),
      ...(settings.natsCert === '' ? {} : { cert: (await readOption(settings.natsCert, '--nats-cert')).toString(), key: (await readOption(settings.natsKey, '--nats-key')).toString() }),
    };
  }
  return options;
}

/**
 * Connects to NATS. The first connection must succeed (a server configured with bindings that
 * cannot reach NATS at start fails its start, naming the server); later losses are recovered.
 */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsConnection> {
  const options = await natsConnectionOptions(settings);
  try {
    const connection = await connect(options);
    logger.info({ server: connection.getServer() }, 'connected to NATS');
    return connection;
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SluiceError('UNAVAILABLE', `cannot connect to NATS at ${settings.nats}: ${reason}`);
  }
}
