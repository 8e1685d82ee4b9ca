import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request as httpRequest } from 'node:http';
import { type TestContext, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { type ConnectionSecurity, SluiceClient, isServiceError } from '../../../client/index.js';
import { SluiceError, SluiceServer, resolveServerConfig } from '../../../server/index.js';
import { readServerTls } from '../../../server/config/server-tls.js';
import { addRequest } from '../../helpers/requests.js';
import { createTestCertificates } from '../../helpers/test-certificates.js';
import { startTestServer } from '../../helpers/test-server.js';
import { sluice } from '../../client/cli/run-cli.js';

const run = promisify(execFile);
const BUF = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

const add = () => addRequest('1', [1, 2, 3, 4], [1, 1, 1, 1]);

/** OK when the client connects and a call succeeds, else the status code it failed with. */
async function callWith(t: TestContext, address: string, security: ConnectionSecurity): Promise<status> {
  const client = new SluiceClient(address, security);
  t.after(() => client.close());
  try {
    await client.listModels({ timeoutMs: 3_000 });
    await client.predictOne(add(), { timeoutMs: 3_000 });
    return status.OK;
  } catch (err: unknown) {
    if (!isServiceError(err)) throw err;
    return err.code;
  }
}

test('TLS: clients that trust the CA connect and have the name checked; others are refused', async (t) => {
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath });
  const port = address.split(':')[1];

  assert.equal(await callWith(t, address, { tls: { ca: certs.ca.cert } }), status.OK, 'trusting the CA, by IP');
  assert.equal(await callWith(t, `localhost:${port}`, { tls: { ca: certs.ca.cert } }), status.OK, 'trusting the CA, by name');
  assert.equal(await callWith(t, address, { tls: true }), status.UNAVAILABLE, 'the system CAs do not know the test CA');
  assert.equal(await callWith(t, address, { tls: { ca: certs.otherCa.cert } }), status.UNAVAILABLE, 'another CA');
  assert.equal(await callWith(t, address, { tls: { ca: certs.ca.cert, serverName: 'not-this-server.example' } }), status.UNAVAILABLE, 'a name the certificate does not carry');
  assert.equal(await callWith(t, address, {}), status.UNAVAILABLE, 'plaintext');
});

test('mutual TLS: a client certificate signed by the client CA is required', async (t) => {
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tlsClientCa: certs.ca.certPath });
  const ca = certs.ca.cert;
  assert.equal(await callWith(t, address, { tls: { ca, cert: certs.client.cert, key: certs.client.key } }), status.OK);
  assert.equal(await callWith(t, address, { tls: { ca } }), status.UNAVAILABLE, 'no client certificate');
  assert.equal(await callWith(t, address, { tls: { ca, cert: certs.otherClient.cert, key: certs.otherClient.key } }), status.UNAVAILABLE, 'a certificate from another CA');
});

test('TLS and tokens together: the token is checked over the encrypted channel', async (t) => {
  const certs = await createTestCertificates(t);
  const tokenFile = `${certs.dir}/tokens.yaml`;
  const token = 'tls-token-0123456789abcdef';
  await writeFile(tokenFile, `tokens:\n  - { name: app, token: ${token}, roles: [infer] }\n`);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tokenFile });
  assert.equal(await callWith(t, address, { tls: { ca: certs.ca.cert }, token }), status.OK);
  assert.equal(await callWith(t, address, { tls: { ca: certs.ca.cert } }), status.UNAUTHENTICATED);
});

test('/metrics over HTTPS with --metrics-tls, and not over plain HTTP', async (t) => {
  const certs = await createTestCertificates(t);
  const { server } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, metricsTls: 'true', metricsPort: 0 });
  const port = server.metricsPort;
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', ca: certs.ca.cert, servername: 'localhost' }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    }).on('error', reject);
  });
  assert.match(body, /sluice_open_streams/);
  const plain = await new Promise<string>((resolve) => {
    httpRequest({ host: '127.0.0.1', port, path: '/metrics' }, (response) => resolve(`HTTP ${response.statusCode}`))
      .on('error', (err) => resolve(err.message))
      .end();
  });
  assert.doesNotMatch(plain, /HTTP 200/, 'plain HTTP gets no metrics');
});

test('bad TLS settings fail the start with the option named', async (t) => {
  const certs = await createTestCertificates(t);
  const isConfig = (pattern: RegExp) => (err: unknown) => err instanceof SluiceError && err.code === 'INVALID_CONFIG' && pattern.test(err.message);
  assert.throws(() => resolveServerConfig({ flags: { tlsCert: certs.server.certPath } }), isConfig(/--tls-cert and --tls-key go together/));
  assert.throws(() => resolveServerConfig({ flags: { tlsClientCa: certs.ca.certPath } }), isConfig(/--tls-client-ca needs --tls-cert/));
  assert.throws(() => resolveServerConfig({ flags: { metricsTls: 'true' } }), isConfig(/--metrics-tls needs --tls-cert/));
  assert.throws(() => resolveServerConfig({ flags: { metricsTls: 'maybe' } }), isConfig(/--metrics-tls must be true or false/));
  const tls = (cert: string, key: string, clientCa = '') => readServerTls({ tlsCert: cert, tlsKey: key, tlsClientCa: clientCa });
  await assert.rejects(tls(certs.server.certPath, certs.client.keyPath), isConfig(/--tls-key .*client\.key is not the private key of --tls-cert/));
  await assert.rejects(tls(certs.server.keyPath, certs.server.keyPath), isConfig(/--tls-cert .*server\.key: not a PEM certificate/));
  await assert.rejects(tls(certs.server.certPath, certs.server.certPath), isConfig(/--tls-key .*: not a PEM private key/));
  await assert.rejects(tls(`${certs.dir}/absent.crt`, certs.server.keyPath), isConfig(/--tls-cert .*absent\.crt: cannot read it \(ENOENT\)/));
  await assert.rejects(
    SluiceServer.start(resolveServerConfig({ flags: { port: 0, tlsCert: certs.server.certPath, tlsKey: certs.ca.keyPath, logLevel: 'silent' } })),
    isConfig(/is not the private key/),
  );
});

test('the CLI connects with --ca, --cert and --key (or SLUICE_CA, SLUICE_CERT, SLUICE_KEY), and explains a refused handshake', async (t) => {
  const certs = await createTestCertificates(t);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tlsClientCa: certs.ca.certPath });
  const ok = await sluice(['--server', address, '--ca', certs.ca.certPath, '--cert', certs.client.certPath, '--key', certs.client.keyPath, 'health']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'SERVING');
  const fromEnv = await sluice(['--server', address, 'health'], { SLUICE_CA: certs.ca.certPath, SLUICE_CERT: certs.client.certPath, SLUICE_KEY: certs.client.keyPath });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  const noCert = await sluice(['--server', address, '--timeout', '3000', '--ca', certs.ca.certPath, 'health']);
  assert.equal(noCert.code, 2);
  assert.match(noCert.stderr, /cannot reach a Sluice server at .* --cert\/--key/);
  const halfPair = await sluice(['--server', address, '--cert', certs.client.certPath, 'health']);
  assert.equal(halfPair.code, 1);
  assert.match(halfPair.stderr, /--cert and --key go together/);
});

test('buf curl, as the README shows: reflection and a call over TLS with a bearer token', async (t) => {
  const certs = await createTestCertificates(t);
  const token = 'curl-token-0123456789abcdef';
  const tokenFile = join(certs.dir, 'tokens.yaml');
  await writeFile(tokenFile, `tokens:\n  - { name: curl, token: ${token}, roles: [infer] }\n`);
  const { address } = await startTestServer(t, { tlsCert: certs.server.certPath, tlsKey: certs.server.keyPath, tokenFile });
  const url = (path: string) => `https://localhost:${address.split(':')[1]}${path}`;
  const curl = (args: readonly string[]) => run(BUF, ['curl', '--protocol', 'grpc', '--cacert', certs.ca.certPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  const auth = ['-H', `authorization: Bearer ${token}`, '--reflect-header', '*'];
  const services = await curl([...auth, '--list-services', url('')]);
  assert.match(services.stdout, /sluice\.v1\.InferenceService/);
  const models = await curl([...auth, url('/sluice.v1.InferenceService/ListModels')]);
  assert.match(models.stdout, /"name": "ppocr-det"/);
  // Without a token, and with the schema from the proto files since reflection is closed too.
  const REPO = join(import.meta.dirname, '..', '..', '..');
  await assert.rejects(curl(['--schema', REPO, url('/sluice.v1.InferenceService/ListModels')]), /unauthenticated/i, 'no token');
});
