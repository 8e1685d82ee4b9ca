/**
 * The TLS tests of the server, the client and the bridge rely on these certificates being what
 * they claim: checked here once, with Node's own X.509 verification.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { createTestCertificates } from './test-certificates.js';

test('a CA, a server certificate for localhost and loopback, client certificates, and an unrelated CA', async (t) => {
  const certs = await createTestCertificates(t, { serverNames: ['DNS:sluice.test'] });
  const ca = new X509Certificate(certs.ca.cert);
  const otherCa = new X509Certificate(certs.otherCa.cert);
  const server = new X509Certificate(certs.server.cert);
  const client = new X509Certificate(certs.client.cert);
  const otherClient = new X509Certificate(certs.otherClient.cert);
  assert.ok(ca.ca && otherCa.ca);
  assert.ok(!server.ca && !client.ca);
  for (const leaf of [server, client]) {
    assert.ok(leaf.verify(ca.publicKey) && leaf.checkIssued(ca));
    assert.ok(!leaf.verify(otherCa.publicKey));
  }
  assert.ok(otherClient.verify(otherCa.publicKey) && !otherClient.verify(ca.publicKey));
  assert.equal(server.checkHost('localhost'), 'localhost');
  assert.equal(server.checkHost('sluice.test'), 'sluice.test');
  assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(server.checkIP('::1'), '::1');
  assert.equal(server.checkHost('example.com'), undefined);
  assert.match(server.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/, 'serverAuth');
  assert.match(client.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.2/, 'clientAuth');
  assert.ok(server.checkPrivateKey(createPrivateKey(certs.server.key)));
  for (const pair of [certs.ca, certs.server, certs.client, certs.otherCa, certs.otherClient]) assert.ok(existsSync(pair.certPath) && existsSync(pair.keyPath));
});
