import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startTestServer } from '../helpers/test-server.js';

const MAIN = join(import.meta.dirname, '..', '..', 'web-bridge', 'main.ts');

test('the bridge runs as its own process and closes on SIGTERM', async (t) => {
  const { address } = await startTestServer(t);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, SLUICE_SERVER: address, SLUICE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const entry = JSON.parse(line) as { url?: string };
    if (entry.url !== undefined) {
      url = entry.url;
      break;
    }
  }
  assert.ok(url !== undefined, `no url logged; stderr: ${stderr}`);
  const models = (await (await fetch(`${url}/api/models`)).json()) as { models: { name: string }[] };
  assert.ok(models.models.some((m) => m.name === 'ppocr-det'));
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, stderr);
});

test('the process refuses a bad flag with a message naming it', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr, /--port must be an integer/);
});
