/**
 * A real Sluice server and a bridge in front of it, for one test, closed when it ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { type CreateBridgeOptions, createBridge } from '../../web-bridge/index.js';
import { renderText } from '../helpers/images.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { WsProbe } from './ws-probe.js';

export interface BridgeFixture extends TestServer {
  readonly app: FastifyInstance;
  /** Opens a WebSocket on /ws in-process, with `headers` on the upgrade, closed when the test ends; the `hello` is consumed. */
  openSocket(headers?: Record<string, string>): Promise<WsProbe>;
}

export async function startBridgeFixture(
  t: TestContext,
  options: Partial<CreateBridgeOptions> = {},
  serverOverrides: Parameters<typeof startTestServer>[1] = {},
): Promise<BridgeFixture> {
  const server = await startTestServer(t, serverOverrides);
  const app = await createBridge({ server: server.address, ...options });
  t.after(() => app.close());
  return {
    ...server,
    app,
    async openSocket(headers = {}) {
      // Listeners go on before the upgrade completes: the bridge says hello at once.
      let probe: WsProbe | undefined;
      await app.injectWS('/ws', { headers }, { onInit: (ws) => (probe = new WsProbe(ws)) });
      if (probe === undefined) throw new Error('injectWS did not call onInit');
      const opened = probe;
      t.after(() => opened.ws.terminate());
      await opened.control('hello');
      return opened;
    },
  };
}

/** A JPEG of dark text lines on white, like a frame a browser would send; `n` moves the text. */
export async function textFrame(n: number, width = 640, height = 360): Promise<Buffer> {
  const png = await renderText(width, height, [
    { text: 'Hello Sluice', x: 40 + (n % 5) * 10, y: 120, size: 56 },
    { text: `frame ${n}`, x: 60, y: 250, size: 44 },
  ]);
  return sharp(png).jpeg({ quality: 85 }).toBuffer();
}

/** An entry of a token file. */
export interface TestUser {
  readonly name: string;
  /** At least 16 characters. */
  readonly token: string;
  readonly roles: readonly ('infer' | 'watch' | 'admin')[];
}

/** Writes a token file (the server's format, which the bridge shares) removed when the test ends. */
export async function writeTokenFile(t: Pick<TestContext, 'after'>, users: readonly TestUser[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tokens-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tokens.yaml');
  await writeFile(path, tokenFileText(users));
  return path;
}

/** The contents of a token file listing `users`. */
export function tokenFileText(users: readonly TestUser[]): string {
  // JSON strings are YAML: tokens may hold characters YAML would read otherwise.
  return `tokens:\n${users.map((u) => `  - { name: ${JSON.stringify(u.name)}, token: ${JSON.stringify(u.token)}, roles: [${u.roles.join(', ')}] }\n`).join('')}`;
}

/** `Authorization: Bearer` for `user`. */
export function bearer(user: TestUser): Record<string, string> {
  return { authorization: `Bearer ${user.token}` };
}

/** Waits until the bridge lists `count` watchers of `name` (asking with `headers`), so that items published next reach them. */
export async function waitForWatchers(app: FastifyInstance, name: string, count: number, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { sessions } = (await app.inject({ method: 'GET', url: '/api/sessions', headers })).json<{ sessions: { name: string; watchers?: number }[] }>();
    if ((sessions.find((s) => s.name === name)?.watchers ?? 0) >= count) return;
    await sleep(50);
  }
  throw new Error(`${name} never had ${count} watchers`);
}
