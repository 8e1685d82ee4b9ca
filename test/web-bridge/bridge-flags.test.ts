import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeConfigError } from '../../web-bridge/index.js';
import { BRIDGE_USAGE, readBridgeFlags } from '../../web-bridge/bridge-flags.js';

test('without flags or variables the bridge listens on loopback, with no TLS and no tokens', () => {
  const { options, help, logLevel } = readBridgeFlags([], {});
  assert.deepEqual(options, { server: 'localhost:50051', host: '127.0.0.1', port: 8080 });
  assert.equal(help, false);
  assert.equal(logLevel, 'info');
});

test('flags win over SLUICE_BRIDGE_* variables; origins repeat as flags and are comma-separated in the variable', () => {
  const env = {
    SLUICE_BRIDGE_HOST: '0.0.0.0',
    SLUICE_BRIDGE_TLS_CERT: '/env/cert.pem',
    SLUICE_BRIDGE_TLS_KEY: '/env/key.pem',
    SLUICE_BRIDGE_TOKEN_FILE: '/env/tokens.yaml',
    SLUICE_BRIDGE_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    SLUICE_BRIDGE_MAX_SOCKETS: '64',
    SLUICE_BRIDGE_MAX_SOURCES_PER_SOCKET: '2',
    SLUICE_BRIDGE_UPSTREAM_TOKEN: 'env-token-0123456789',
  };
  const fromEnv = readBridgeFlags([], env).options;
  assert.deepEqual(
    [fromEnv.host, fromEnv.tlsCert, fromEnv.tlsKey, fromEnv.tokenFile, fromEnv.allowedOrigins, fromEnv.maxSockets, fromEnv.maxSourcesPerSocket, fromEnv.upstreamToken, fromEnv.upstreamTls],
    ['0.0.0.0', '/env/cert.pem', '/env/key.pem', '/env/tokens.yaml', ['https://a.example', 'https://b.example'], 64, 2, 'env-token-0123456789', undefined],
  );
  const fromFlags = readBridgeFlags(
    ['--host', '::', '--tls-cert', '/flag/cert.pem', '--allowed-origin', 'https://c.example', '--allowed-origin', 'https://d.example', '--max-sockets', '8', '--upstream-token', 'flag-token-0123456789'],
    env,
  ).options;
  assert.deepEqual(
    [fromFlags.host, fromFlags.tlsCert, fromFlags.tlsKey, fromFlags.allowedOrigins, fromFlags.maxSockets, fromFlags.upstreamToken],
    ['::', '/flag/cert.pem', '/env/key.pem', ['https://c.example', 'https://d.example'], 8, 'flag-token-0123456789'],
  );
});

test('upstream TLS: the switch, the variable, or any of its files turns it on', () => {
  assert.deepEqual(readBridgeFlags(['--upstream-tls'], {}).options.upstreamTls, {});
  assert.deepEqual(readBridgeFlags([], { SLUICE_BRIDGE_UPSTREAM_TLS: 'true' }).options.upstreamTls, {});
  assert.equal(readBridgeFlags([], { SLUICE_BRIDGE_UPSTREAM_TLS: 'off' }).options.upstreamTls, undefined);
  assert.deepEqual(readBridgeFlags(['--upstream-ca', '/ca.pem', '--upstream-server-name', 'sluice.internal'], { SLUICE_BRIDGE_UPSTREAM_CERT: '/c.pem', SLUICE_BRIDGE_UPSTREAM_KEY: '/k.pem' }).options.upstreamTls, {
    ca: '/ca.pem',
    cert: '/c.pem',
    key: '/k.pem',
    serverName: 'sluice.internal',
  });
});

test('a bad number names its flag; --help asks for the usage, which lists every flag', () => {
  assert.throws(() => readBridgeFlags(['--max-sockets', 'many'], {}), (err: unknown) => err instanceof BridgeConfigError && err.option === '--max-sockets');
  assert.throws(() => readBridgeFlags([], { SLUICE_BRIDGE_MAX_SOURCES_PER_SOCKET: 'x' }), (err: unknown) => err instanceof BridgeConfigError && err.option === '--max-sources-per-socket');
  assert.equal(readBridgeFlags(['-h'], {}).help, true);
  for (const flag of ['--tls-cert', '--tls-key', '--token-file', '--allowed-origin', '--max-sockets', '--max-sources-per-socket', '--upstream-tls', '--upstream-ca', '--upstream-cert', '--upstream-key', '--upstream-server-name', '--upstream-token']) {
    assert.ok(BRIDGE_USAGE.includes(flag), flag);
  }
});
