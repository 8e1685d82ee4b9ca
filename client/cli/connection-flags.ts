/**
 * Turns the CLI's connection flags (--tls, --ca, --cert, --key, --server-name, --token) into the
 * client library's `ConnectionSecurity`, reading the PEM files and naming the flag when one
 * cannot be read.
 */
import { readFileSync } from 'node:fs';
import type { ClientTlsOptions, ConnectionSecurity } from '../connection-security.js';
import { CliError } from './cli-context.js';

/** The flags as commander parses them (environment variables included). */
export interface ConnectionFlags {
  readonly tls?: boolean | string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
  readonly token?: string;
}

function readPem(path: string | undefined, flag: string): Buffer | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new CliError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** True for --tls, and for SLUICE_TLS set to anything but false/0/off/no/''. */
function tlsWanted(value: boolean | string | undefined): boolean {
  if (typeof value === 'string') return !['', '0', 'false', 'off', 'no'].includes(value.trim().toLowerCase());
  return value === true;
}

export function readConnectionSecurity(flags: ConnectionFlags): ConnectionSecurity {
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new CliError('--cert and --key go together: give both or neither');
  const tls: ClientTlsOptions = {
    ...optional('ca', readPem(flags.ca, '--ca')),
    ...optional('cert', readPem(flags.cert, '--cert')),
    ...optional('key', readPem(flags.key, '--key')),
    ...(flags.serverName === undefined ? {} : { serverName: flags.serverName }),
  };
  const useTls = tlsWanted(flags.tls) || Object.keys(tls).length > 0;
  return {
    ...(useTls ? { tls } : {}),
    ...(flags.token === undefined || flags.token === '' ? {} : { token: flags.token }),
  };
}

function optional<K extends string>(key: K, value: Buffer | undefined): Partial<Record<K, Buffer>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, Buffer>);
}
