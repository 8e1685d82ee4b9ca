import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { hostFitsConnection, namesLoopback } from '../../../web-bridge/access/loopback-host.js';
import { startBridge } from '../../../web-bridge/index.js';
import { startTestServer } from '../../helpers/test-server.js';

test('Host headers that name this machine', () => {
  for (const host of ['localhost', 'localhost:8080', 'LOCALHOST:1', 'app.localhost:8080', '127.0.0.1:8080', '127.1.2.3', '[::1]:8080', '[::1]']) {
    assert.equal(namesLoopback(host), true, host);
  }
  for (const host of [undefined, '', 'evil.example', 'evil.example:8080', 'localhost.evil.example', '192.0.2.2:8080', '[fe80::1]:80', '127.0.0.1.nip.io']) {
    assert.equal(namesLoopback(host), false, String(host));
  }
  assert.equal(hostFitsConnection('192.0.2.2', 'sluice.example:8080'), true, 'a connection from the network may use any name');
  assert.equal(hostFitsConnection('127.0.0.1', 'sluice.example:8080'), false);
  assert.equal(hostFitsConnection('::ffff:127.0.0.1', 'evil.example'), false);
});

function get(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

test('a loopback bridge refuses a page whose host name was rebound to 127.0.0.1', async (t) => {
  const { address } = await startTestServer(t);
  const bridge = await startBridge({ server: address, port: 0 });
  t.after(() => bridge.close());
  for (const path of ['/', '/api/sessions', '/api/models', '/ws']) {
    assert.equal(await get(bridge.port, `evil.example:${bridge.port}`, path), 403, path);
  }
  assert.equal(await get(bridge.port, `localhost:${bridge.port}`, '/api/sessions'), 200);
  assert.equal(await get(bridge.port, `127.0.0.1:${bridge.port}`, '/'), 200);
});
