/**
 * The bridge's TLS material, read from the files its options name and checked at start: a file
 * that cannot be read, a certificate that does not parse or a key that does not match its
 * certificate is a `BridgeConfigError` naming the option, not a handshake failure later.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientTlsOptions, ConnectionSecurity } from '../client/index.js';
import { BridgeConfigError } from './bridge-config-error.js';

/** TLS to the Sluice server: PEM file paths, all optional (the system's CAs verify the server by default). */
export interface UpstreamTlsOptions {
  /** CA bundle that signed the server's certificate. */
  readonly ca?: string;
  /** Client certificate, for a server that requires one (mutual TLS); needs `key`. */
  readonly cert?: string;
  /** Private key of `cert`. */
  readonly key?: string;
  /** Name the server's certificate must carry, when it is not the host in `server`. */
  readonly serverName?: string;
}

/** The key pair the bridge serves HTTPS and WSS with. */
export interface ListenTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

const UPSTREAM_TLS_FIELDS = ['ca', 'cert', 'key', 'serverName'] as const;

function optionalPath(raw: Record<string, unknown>, name: string, option: string): string | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new BridgeConfigError(option, `must be a file path, got ${JSON.stringify(value)}`);
  return value;
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new BridgeConfigError(option, `${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function parseCertificate(pem: Buffer, option: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new BridgeConfigError(option, `${path}: not a PEM certificate`);
  }
}

/** Reads a certificate and its key, checking that they belong together. */
function readKeyPair(certPath: string, keyPath: string, certOption: string, keyOption: string): ListenTls {
  const cert = readPem(certPath, certOption);
  const key = readPem(keyPath, keyOption);
  const certificate = parseCertificate(cert, certOption, certPath);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new BridgeConfigError(keyOption, `${keyPath}: not a PEM private key (an encrypted key needs its passphrase removed)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new BridgeConfigError(keyOption, `${keyPath} is not the private key of ${certOption} ${certPath}`);
  return { cert, key };
}

/** `tlsCert` and `tlsKey`: the HTTPS key pair, or undefined for plain HTTP. */
export function resolveListenTls(raw: Record<string, unknown>): ListenTls | undefined {
  const certPath = optionalPath(raw, 'tlsCert', 'options.tlsCert');
  const keyPath = optionalPath(raw, 'tlsKey', 'options.tlsKey');
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined) throw new BridgeConfigError('options.tlsCert', 'is required with options.tlsKey: give both or neither');
  if (keyPath === undefined) throw new BridgeConfigError('options.tlsKey', 'is required with options.tlsCert: give both or neither');
  return Object.freeze(readKeyPair(certPath, keyPath, 'options.tlsCert', 'options.tlsKey'));
}

function resolveUpstreamTls(value: unknown): boolean | ClientTlsOptions {
  if (value === undefined || typeof value === 'boolean') return value === true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BridgeConfigError('options.upstreamTls', `must be true, false or an object with ca, cert, key and serverName, got ${JSON.stringify(value)}`);
  }
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !(UPSTREAM_TLS_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new BridgeConfigError(`options.upstreamTls.${unknown[0]}`, `is not an option (known: ${UPSTREAM_TLS_FIELDS.join(', ')})`);
  const caPath = optionalPath(raw, 'ca', 'options.upstreamTls.ca');
  const certPath = optionalPath(raw, 'cert', 'options.upstreamTls.cert');
  const keyPath = optionalPath(raw, 'key', 'options.upstreamTls.key');
  const serverName = raw['serverName'];
  if (serverName !== undefined && (typeof serverName !== 'string' || serverName.trim() === '' || /\s/.test(serverName))) {
    throw new BridgeConfigError('options.upstreamTls.serverName', `must be a host name, got ${JSON.stringify(serverName)}`);
  }
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new BridgeConfigError(certPath === undefined ? 'options.upstreamTls.cert' : 'options.upstreamTls.key', 'and its pair go together: give both cert and key, or neither');
  }
  let ca: Buffer | undefined;
  if (caPath !== undefined) {
    ca = readPem(caPath, 'options.upstreamTls.ca');
    parseCertificate(ca, 'options.upstreamTls.ca', caPath);
  }
  const pair = certPath !== undefined && keyPath !== undefined ? readKeyPair(certPath, keyPath, 'options.upstreamTls.cert', 'options.upstreamTls.key') : undefined;
  return Object.freeze({
    ...(ca === undefined ? {} : { ca }),
    ...(pair === undefined ? {} : pair),
    ...(serverName === undefined ? {} : { serverName: serverName as string }),
  });
}

/** `upstreamTls` and `upstreamToken`: how the bridge connects to the Sluice server. */
export function resolveUpstreamSecurity(raw: Record<string, unknown>): ConnectionSecurity {
  const tls = resolveUpstreamTls(raw['upstreamTls']);
  const token = raw['upstreamToken'];
  // The token itself is never put in a message: errors end up in logs.
  if (token !== undefined && (typeof token !== 'string' || token === '' || /\s/.test(token))) {
    throw new BridgeConfigError('options.upstreamToken', 'must be a non-empty token without white space');
  }
  return Object.freeze({
    ...(tls === false ? {} : { tls }),
    ...(token === undefined ? {} : { token: token as string }),
  });
}
