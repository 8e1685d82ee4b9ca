/**
 * Certificates for TLS tests, made with the `openssl` command at test run time so that none is
 * checked in (and none expires in the repository): a CA, a server certificate it signed for
 * `localhost`, 127.0.0.1 and ::1, a client certificate it signed (mutual TLS), and a second CA
 * with a client certificate of its own, which the first CA's holders must refuse.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its private key, as files and as PEM. */
export interface PemPair {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCertificates {
  /** The folder holding every file. */
  readonly dir: string;
  /** Self-signed CA that signed `server` and `client`. */
  readonly ca: PemPair;
  /** Server certificate (serverAuth) for DNS:localhost, IP:127.0.0.1 and IP:::1, signed by `ca`. */
  readonly server: PemPair;
  /** Client certificate (clientAuth), CN `sluice-test-client`, signed by `ca`. */
  readonly client: PemPair;
  /** A CA unrelated to `ca`: what a client or server that trusts only `ca` must refuse. */
  readonly otherCa: PemPair;
  /** Client certificate signed by `otherCa`, CN `sluice-other-client`. */
  readonly otherClient: PemPair;
}

/** Options of `createTestCertificates`. */
export interface TestCertificateOptions {
  /** Extra subject alternative names of the server certificate, e.g. `DNS:sluice.test`. */
  readonly serverNames?: readonly string[];
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
/** Short validity: the files live as long as one test run. */
const DAYS = '2';

function config(commonName: string, extensions: string): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${commonName}`, '[ext]', extensions, ''].join('\n');
}

async function pair(dir: string, name: string): Promise<PemPair> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: await readFile(certPath), key: await readFile(keyPath) };
}

async function selfSignedCa(dir: string, name: string, commonName: string): Promise<PemPair> {
  const cnf = join(dir, `${name}.cnf`);
  await writeFile(cnf, config(commonName, ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'].join('\n')));
  await run('openssl', ['req', '-x509', '-new', ...CURVE, '-config', cnf, '-extensions', 'ext', '-days', DAYS, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)]);
  return pair(dir, name);
}

async function signedLeaf(dir: string, name: string, commonName: string, ca: PemPair, extensions: readonly string[]): Promise<PemPair> {
  const cnf = join(dir, `${name}.cnf`);
  const csr = join(dir, `${name}.csr`);
  await writeFile(cnf, config(commonName, ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment', 'authorityKeyIdentifier = keyid', ...extensions].join('\n')));
  await run('openssl', ['req', '-new', ...CURVE, '-config', cnf, '-keyout', join(dir, `${name}.key`), '-out', csr]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', DAYS,
    '-extfile', cnf, '-extensions', 'ext', '-out', join(dir, `${name}.crt`),
  ]);
  return pair(dir, name);
}

/**
 * Writes a fresh set of certificates into a temporary folder and returns their paths and PEM
 * contents. With `t`, the folder is removed when the test ends.
 */
export async function createTestCertificates(t?: Pick<TestContext, 'after'>, options: TestCertificateOptions = {}): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-certs-'));
  t?.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await selfSignedCa(dir, 'ca', 'Sluice Test CA');
  const otherCa = await selfSignedCa(dir, 'other-ca', 'Unrelated Test CA');
  const names = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...(options.serverNames ?? [])];
  const [server, client, otherClient] = await Promise.all([
    signedLeaf(dir, 'server', 'localhost', ca, ['extendedKeyUsage = serverAuth', `subjectAltName = ${names.join(', ')}`]),
    signedLeaf(dir, 'client', 'sluice-test-client', ca, ['extendedKeyUsage = clientAuth']),
    signedLeaf(dir, 'other-client', 'sluice-other-client', otherCa, ['extendedKeyUsage = clientAuth']),
  ]);
  return { dir, ca, server, client, otherCa, otherClient };
}
