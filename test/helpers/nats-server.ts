/**
 * Starts a real `nats-server` with JetStream for a test: on a free loopback port, with a temporary
 * store, stopped (and its store removed) when the test ends.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Where Debian installs it; `NATS_SERVER` overrides. */
const BINARY = process.env.NATS_SERVER ?? (spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/nats-server');

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Stops the server (SIGTERM) and waits for it to exit; its store is kept for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function launch(port: number, store: string, extra: readonly string[]): Promise<ChildProcess> {
  const child = spawn(BINARY, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) resolve();
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log.slice(-2000)}`)));
  });
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  return child;
}

/** Starts nats-server with JetStream; `extra` adds flags (e.g. `--max_payload`). */
export async function startNatsServer(t: Pick<TestContext, 'after'>, extra: readonly string[] = []): Promise<NatsServer> {
  const store = mkdtempSync(join(tmpdir(), 'sluice-nats-'));
  const port = await freePort();
  let child = await launch(port, store, extra);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    get child() {
      return child;
    },
    stop,
    restart: async () => {
      await stop();
      child = await launch(port, store, extra);
    },
  };
  t.after(async () => {
    await stop();
    rmSync(store, { recursive: true, force: true });
  });
  return server;
}
