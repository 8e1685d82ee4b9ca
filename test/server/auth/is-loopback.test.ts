import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackAddress, isLoopbackPeer } from '../../../server/index.js';

test('loopback peers as grpc-js writes them, port first taken off', () => {
  for (const peer of ['127.0.0.1:5000', '127.8.9.1', '::1', '::1:5000', '[::1]:5000', '::ffff:127.0.0.1', '::ffff:127.0.0.1:443']) {
    assert.equal(isLoopbackPeer(peer), true, peer);
  }
});

test('other peers are not loopback, unparseable ones included', () => {
  for (const peer of ['10.0.0.5:5000', '192.168.1.2', '::2:5000', 'fe80::1:5000', '::ffff:10.0.0.1:80', 'unknown', '', 'localhost:5000', '128.0.0.1:1']) {
    assert.equal(isLoopbackPeer(peer), false, peer);
  }
});

test('bare addresses: ::1:5000 is an address of its own, not loopback', () => {
  assert.equal(isLoopbackAddress('127.0.0.1'), true);
  assert.equal(isLoopbackAddress('::1'), true);
  assert.equal(isLoopbackAddress('::1:5000'), false);
  assert.equal(isLoopbackAddress('0.0.0.0'), false);
  assert.equal(isLoopbackAddress('localhost'), false);
});
