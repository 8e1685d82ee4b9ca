import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO_ROOT } from '../../helpers/server-process.js';

test('sluice up (npm start) serves models, the viewer and a live demo stream, and stops on SIGINT', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'up', '--host', '127.0.0.1', '--port', '0', '--bridge-port', '0', '--metrics-port', '-1', '--fps', '4'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
  const exited = once(child, 'exit');
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let viewer: string | undefined;
  for (let i = 0; i < 600 && viewer === undefined; i++) {
    viewer = /viewer: (http:\/\/\S+)/.exec(output)?.[1];
    await sleep(50);
  }
  assert.ok(viewer !== undefined, `no viewer URL printed:\n${output}`);
  const base = new URL(viewer).origin;
  assert.match(await (await fetch(`${base}/`)).text(), /<html/i);

  let demo: { name: string; items: number; model: string } | undefined;
  for (let i = 0; i < 200 && (demo === undefined || demo.items < 3); i++) {
    const { sessions } = (await (await fetch(`${base}/api/sessions`)).json()) as { sessions: { name: string; items: number; model: string }[] };
    demo = sessions.find((s) => s.name === 'demo');
    await sleep(100);
  }
  assert.equal(demo?.model, 'ocr');
  assert.ok((demo?.items ?? 0) >= 3, JSON.stringify(demo));

  child.kill('SIGINT');
  const [code] = await exited;
  assert.equal(code, 0, output);
});
