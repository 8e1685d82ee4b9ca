/**
 * The server's TLS material, read from the files the configuration names and checked before
 * anything listens: a certificate that does not parse, a key that does not match it or an empty
 * CA bundle is an INVALID_CONFIG error naming the option, not a handshake failure later.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SluiceError } from '../errors.js';
import type { ServerConfig } from './server-config.js';
import { SERVER_OPTIONS } from './server-options.js';

/** PEM contents for the listeners. */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set for mutual TLS: clients must present a certificate this bundle signed. */
  readonly clientCa: Buffer | undefined;
}

async function readPem(path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err: unknown) {
    throw new SluiceError('INVALID_CONFIG', `${option} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function parseCertificate(pem: Buffer, option: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new SluiceError('INVALID_CONFIG', `${option} ${path}: not a PEM certificate`);
  }
}

/** Reads and checks the TLS files of `config`; undefined when TLS is off. */
export async function readServerTls(config: Pick<ServerConfig, 'tlsCert' | 'tlsKey' | 'tlsClientCa'>): Promise<ServerTls | undefined> {
  if (config.tlsCert === '') return undefined;
  const certFlag = SERVER_OPTIONS.tlsCert.flag;
  const keyFlag = SERVER_OPTIONS.tlsKey.flag;
  const caFlag = SERVER_OPTIONS.tlsClientCa.flag;
  const cert = await readPem(config.tlsCert, certFlag);
  const key = await readPem(config.tlsKey, keyFlag);
  const certificate = parseCertificate(cert, certFlag, config.tlsCert);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new SluiceError('INVALID_CONFIG', `${keyFlag} ${config.tlsKey}: not a PEM private key (an encrypted key needs its passphrase removed)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new SluiceError('INVALID_CONFIG', `${keyFlag} ${config.tlsKey} is not the private key of ${certFlag} ${config.tlsCert}`);
  }
  let clientCa: Buffer | undefined;
  if (config.tlsClientCa !== '') {
    clientCa = await readPem(config.tlsClientCa, caFlag);
    parseCertificate(clientCa, caFlag, config.tlsClientCa);
  }
  return { cert, key, clientCa };
}
