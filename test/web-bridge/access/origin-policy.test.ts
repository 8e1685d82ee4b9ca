import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OriginPolicy, normalizeOrigin } from '../../../web-bridge/access/origin-policy.js';

test('an origin is scheme://host[:port] and nothing more, with the default port dropped', () => {
  assert.equal(normalizeOrigin('https://Viewer.Example:443'), 'https://viewer.example');
  assert.equal(normalizeOrigin('http://localhost:8080/'), 'http://localhost:8080');
  assert.equal(normalizeOrigin('http://[::1]:8080'), 'http://[::1]:8080');
  for (const bad of ['null', '', 'viewer.example', 'https://viewer.example/app', 'https://viewer.example?x=1', 'https://u:p@viewer.example', 'ws://viewer.example', 'file:///tmp/x.html']) {
    assert.equal(normalizeOrigin(bad), undefined, bad);
  }
});

test("the bridge's own origin, as the Host header names it, and the allowed ones pass; others do not", () => {
  const policy = new OriginPolicy('http', ['https://viewer.example']);
  assert.equal(policy.allows(undefined, 'localhost:8080'), true, 'no Origin: not a browser');
  assert.equal(policy.allows('http://localhost:8080', 'localhost:8080'), true);
  assert.equal(policy.allows('http://LOCALHOST:8080', 'localhost:8080'), true);
  assert.equal(policy.allows('https://viewer.example', 'localhost:8080'), true);
  assert.equal(policy.allows('http://evil.example', 'localhost:8080'), false);
  assert.equal(policy.allows('https://localhost:8080', 'localhost:8080'), false, 'the scheme must be the one the bridge serves');
  assert.equal(policy.allows('http://localhost:8081', 'localhost:8080'), false);
  assert.equal(policy.allows('http://localhost:8080', undefined), false, 'no Host: nothing to compare with');
  assert.equal(policy.allows('null', 'localhost:8080'), false);
  const https = new OriginPolicy('https', []);
  assert.equal(https.allows('https://bridge.example', 'bridge.example:443'), true);
  assert.equal(https.allows('http://bridge.example', 'bridge.example'), false);
});
