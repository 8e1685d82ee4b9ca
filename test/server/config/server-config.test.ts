import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveServerConfig, SluiceError } from '../../../server/index.js';

const isConfigError = (pattern: RegExp) => (err: unknown) => err instanceof SluiceError && err.code === 'INVALID_CONFIG' && pattern.test(err.message);

test('flags win over environment variables, which win over defaults', () => {
  const config = resolveServerConfig({ flags: { port: '6000' }, env: { SLUICE_PORT: '7000', SLUICE_WORKERS: '3' } });
  assert.equal(config.port, 6000);
  assert.equal(config.workers, 3);
  assert.equal(config.intraOpThreads, 1);
  assert.ok(Object.isFrozen(config));
});

test('bad values name the flag or the variable they came from', () => {
  assert.throws(() => resolveServerConfig({ flags: { port: '70000' } }), isConfigError(/--port must be an integer from 0 to 65535/));
  assert.throws(() => resolveServerConfig({ env: { SLUICE_WORKERS: 'two' } }), isConfigError(/environment variable SLUICE_WORKERS/));
  assert.throws(() => resolveServerConfig({ flags: { logLevel: 'loud' } }), isConfigError(/--log-level must be one of/));
  assert.throws(() => resolveServerConfig({ flags: { streamWindow: '64', maxStreamWindow: '8' } }), isConfigError(/--stream-window \(64\) must not exceed/));
});

test('the README documents every server option with its flag and variable', async () => {
  const { readFile } = await import('node:fs/promises');
  const { SERVER_OPTIONS } = await import('../../../server/index.js');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const spec of Object.values(SERVER_OPTIONS)) {
    assert.match(readme, new RegExp(`\\| \`${spec.flag}\` \\| \`${spec.env}\` \\|`), spec.flag);
  }
});
