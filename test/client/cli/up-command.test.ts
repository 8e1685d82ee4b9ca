import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, REPO_ROOT } from '../../helpers/server-process.js';
import { createTestCertificates } from '../../helpers/test-certificates.js';
import { sluice } from './run-cli.js';

interface RunningUp {
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** The viewer's URL as printed. */
  readonly viewer: string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `sluice ...args` (an `up` command line) until it prints the viewer's URL. */
async function startUp(t: TestContext, args: readonly string[]): Promise<RunningUp> {
  const child = spawn(process.execPath, [CLI, ...args], {
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
    viewer = /viewer: (https?:\/\/\S+)/.exec(output)?.[1];
    await sleep(50);
  }
  assert.ok(viewer !== undefined, `no viewer URL printed:\n${output}`);
  return {
    output: () => output,
    viewer,
    stop: async () => {
      child.kill('SIGINT');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Polls `sessions` until the demo has answered 3 items; returns it as last seen. */
async function demoSession(sessions: () => Promise<{ name: string; items: number; model: string }[]>): Promise<{ items: number; model: string } | undefined> {
  let demo: { name: string; items: number; model: string } | undefined;
  for (let i = 0; i < 200 && (demo === undefined || demo.items < 3); i++) {
    demo = (await sessions()).find((s) => s.name === 'demo');
    await sleep(100);
  }
  return demo;
}

test('sluice up (npm start) serves models, the viewer and a live demo stream, and stops on SIGINT', async (t) => {
  const up = await startUp(t, ['up', '--host', '127.0.0.1', '--port', '0', '--bridge-port', '0', '--metrics-port', '-1', '--fps', '4']);
  const base = new URL(up.viewer).origin;
  assert.equal(new URL(up.viewer).protocol, 'http:');
  assert.match(await (await fetch(`${base}/`)).text(), /<html/i);
  const demo = await demoSession(async () => ((await (await fetch(`${base}/api/sessions`)).json()) as { sessions: { name: string; items: number; model: string }[] }).sessions);
  assert.equal(demo?.model, 'ocr');
  assert.ok((demo?.items ?? 0) >= 3, JSON.stringify(demo));
  assert.equal(await up.stop(), 0, up.output());
});

function getJson(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text }));
    }).on('error', reject);
  });
}

test('sluice up with TLS and tokens: HTTPS viewer, token-checked API and gRPC, and the demo runs', async (t) => {
  const certs = await createTestCertificates(t);
  const token = 'up-token-0123456789abcdef';
  const tokenFile = join(certs.dir, 'tokens.yaml');
  await writeFile(tokenFile, `tokens:\n  - { name: demo, token: ${token}, roles: [infer, watch] }\n`);
  const up = await startUp(t, [
    '--token', token, '--ca', certs.ca.certPath,
    'up', '--port', '0', '--bridge-port', '0', '--metrics-port', '-1', '--fps', '4',
    '--tls-cert', certs.server.certPath, '--tls-key', certs.server.keyPath, '--token-file', tokenFile,
  ]);
  assert.equal(new URL(up.viewer).protocol, 'https:');
  assert.match(up.output(), /open it once with &token=<your token>/);
  assert.ok(!up.output().includes(token), 'the token is not printed');
  const base = new URL(up.viewer).origin;
  const grpcPort = /gRPC on 127\.0\.0\.1:(\d+)/.exec(up.output())?.[1];

  assert.equal((await getJson(`${base}/api/sessions`, certs.ca.cert)).status, 401, 'no token, no sessions');
  const demo = await demoSession(async () => {
    const { body } = await getJson(`${base}/api/sessions`, certs.ca.cert, { authorization: `Bearer ${token}` });
    return (body as { sessions: { name: string; items: number; model: string }[] }).sessions;
  });
  assert.ok((demo?.items ?? 0) >= 3, `the demo streams over TLS with its token: ${JSON.stringify(demo)}`);

  const models = await sluice(['--server', `localhost:${grpcPort}`, '--ca', certs.ca.certPath, '--token', token, 'models']);
  assert.equal(models.code, 0, models.stderr);
  const refused = await sluice(['--server', `localhost:${grpcPort}`, '--ca', certs.ca.certPath, 'models'], { SLUICE_TOKEN: '' });
  assert.match(refused.stderr, /UNAUTHENTICATED/);
  assert.equal(await up.stop(), 0, up.output());
});

test('sluice up with a token file but no token says what is missing', async () => {
  const result = await sluice(['up', '--port', '0', '--bridge-port', '0', '--metrics-port', '-1', '--token-file', '/nonexistent/tokens.yaml'], { SLUICE_TOKEN: '' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /with --token-file, give --token \(or SLUICE_TOKEN\)/);
});
