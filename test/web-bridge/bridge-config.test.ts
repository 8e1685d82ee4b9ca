/**
 * The security options: files read and checked at start, and errors that name the option.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeConfigError, createBridge, resolveBridgeConfig } from '../../web-bridge/index.js';
import { createTestCertificates } from '../helpers/test-certificates.js';

const SERVER = 'localhost:50051';

function refusedNaming(option: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof BridgeConfigError, String(err));
    assert.equal(err.code, 'BRIDGE_INVALID_OPTION');
    assert.equal(err.option, option, err.message);
    return true;
  };
}

test('TLS files are read at start; a missing, unparsable or mismatched one is refused naming the option', async (t) => {
  const certs = await createTestCertificates(t);
  const missing = join(certs.dir, 'missing.pem');
  const cases: [Record<string, unknown>, string][] = [
    [{ tlsCert: certs.server.certPath }, 'options.tlsKey'],
    [{ tlsKey: certs.server.keyPath }, 'options.tlsCert'],
    [{ tlsCert: missing, tlsKey: certs.server.keyPath }, 'options.tlsCert'],
    [{ tlsCert: certs.server.keyPath, tlsKey: certs.server.keyPath }, 'options.tlsCert'],
    [{ tlsCert: certs.server.certPath, tlsKey: certs.server.certPath }, 'options.tlsKey'],
    [{ tlsCert: certs.server.certPath, tlsKey: certs.client.keyPath }, 'options.tlsKey'],
    [{ tlsCert: '' }, 'options.tlsCert'],
    [{ upstreamTls: 'yes' }, 'options.upstreamTls'],
    [{ upstreamTls: { ca: missing } }, 'options.upstreamTls.ca'],
    [{ upstreamTls: { ca: certs.ca.keyPath } }, 'options.upstreamTls.ca'],
    [{ upstreamTls: { cert: certs.client.certPath } }, 'options.upstreamTls.key'],
    [{ upstreamTls: { key: certs.client.keyPath } }, 'options.upstreamTls.cert'],
    [{ upstreamTls: { cert: certs.client.certPath, key: certs.server.keyPath } }, 'options.upstreamTls.key'],
    [{ upstreamTls: { serverName: 'a b' } }, 'options.upstreamTls.serverName'],
    [{ upstreamTls: { certificate: certs.client.certPath } }, 'options.upstreamTls.certificate'],
    [{ upstreamToken: '' }, 'options.upstreamToken'],
    [{ tokenFile: 42 }, 'options.tokenFile'],
    [{ allowedOrigins: 'https://viewer.example' }, 'options.allowedOrigins'],
    [{ allowedOrigins: ['https://viewer.example', 'https://viewer.example/app'] }, 'options.allowedOrigins[1]'],
    [{ maxSockets: 0 }, 'options.maxSockets'],
    [{ maxSourcesPerSocket: 1.5 }, 'options.maxSourcesPerSocket'],
  ];
  for (const [options, option] of cases) {
    assert.throws(() => resolveBridgeConfig({ server: SERVER, ...options }), refusedNaming(option), JSON.stringify(options));
  }
  assert.throws(() => resolveBridgeConfig({ server: SERVER, tlsCert: missing, tlsKey: certs.server.keyPath }), /ENOENT/);
});

test('a token never appears in an error', () => {
  const token = 'secret token-0123456789';
  assert.throws(
    () => resolveBridgeConfig({ server: SERVER, upstreamToken: token }),
    (err: unknown) => refusedNaming('options.upstreamToken')(err) && !(err as Error).message.includes('secret'),
  );
});

test('the checked options are frozen, with the files read and the origins normalized', async (t) => {
  const certs = await createTestCertificates(t);
  const config = resolveBridgeConfig({
    server: SERVER,
    tlsCert: certs.server.certPath,
    tlsKey: certs.server.keyPath,
    upstreamTls: { ca: certs.ca.certPath, cert: certs.client.certPath, key: certs.client.keyPath, serverName: 'localhost' },
    upstreamToken: 'bridge-token-0123456789',
    allowedOrigins: ['HTTPS://Viewer.Example:443/'],
  });
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.upstream) && Object.isFrozen(config.allowedOrigins));
  assert.deepEqual(config.tls, { cert: certs.server.cert, key: certs.server.key });
  assert.deepEqual(config.upstream, { tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key, serverName: 'localhost' }, token: 'bridge-token-0123456789' });
  assert.deepEqual(config.allowedOrigins, ['https://viewer.example']);
  const defaults = resolveBridgeConfig({ server: SERVER });
  assert.deepEqual(
    [defaults.tls, defaults.upstream, defaults.tokenFile, defaults.allowedOrigins, defaults.maxSockets, defaults.maxSourcesPerSocket],
    [undefined, {}, '', [], 256, 4],
  );
  assert.deepEqual(resolveBridgeConfig({ server: SERVER, upstreamTls: true }).upstream, { tls: true });
});

test('an invalid token file is refused at start naming options.tokenFile and the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bridge-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'tokens.yaml');
  await writeFile(tokenFile, 'tokens:\n  - { name: short, token: too-short, roles: [watch] }\n');
  await assert.rejects(createBridge({ server: SERVER, tokenFile }), (err: unknown) => refusedNaming('options.tokenFile')(err) && (err as Error).message.includes(tokenFile));
  await assert.rejects(createBridge({ server: SERVER, tokenFile: join(dir, 'missing.yaml') }), refusedNaming('options.tokenFile'));
});
