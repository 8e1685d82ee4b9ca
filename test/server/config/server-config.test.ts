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

test('a configuration file sits below flags and environment, and names itself in errors', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readConfigFile } = await import('../../../server/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'sluice-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'sluice.yaml');
  await writeFile(path, 'port: 7001\nworkers: 3\nstreamWindow: 32\n');
  const file = await readConfigFile(path);
  const config = resolveServerConfig({ file, env: { SLUICE_WORKERS: '4' }, flags: { streamWindow: '8' } });
  assert.deepEqual([config.port, config.workers, config.streamWindow], [7001, 4, 8]);

  await writeFile(path, 'prot: 7001\n');
  await assert.rejects(readConfigFile(path), isConfigError(/sluice\.yaml: prot is not an option/));
  await writeFile(path, 'port: lots\n');
  assert.throws(() => resolveServerConfig({ file: { path, values: { port: 'lots' } } }), isConfigError(/sluice\.yaml: port must be an integer/));
  await assert.rejects(readConfigFile(join(dir, 'missing.yaml')), isConfigError(/cannot read configuration file .*missing\.yaml: ENOENT/));
});
