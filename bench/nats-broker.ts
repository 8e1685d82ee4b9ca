/**
 * A NATS server with JetStream for the benchmark, in a process of its own so that its CPU is read
 * from /proc like the Sluice servers': Debian's `nats-server` (or the one `NATS_SERVER` names), on
 * a loopback port it picks itself, with a temporary store that `stop()` removes. It is killed if
 * the benchmark exits without stopping it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running `nats-server -js`. */
export interface NatsBroker {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM), waits for it and removes its store. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const LISTENING = /Listening for client connections on [^\s]+:(\d+)/;

/** The `nats-server` executable: `NATS_SERVER`, else the one on PATH, else Debian's; undefined when none exists. */
export function natsServerBinary(): string | undefined {
  const fromEnv = process.env.NATS_SERVER;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : undefined;
  const onPath = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '') return onPath;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined;
}

/** Resolves with the client port once the server says it is ready; rejects if it exits first. */
function awaitReady(child: ChildProcess): Promise<number> {
  let log = '';
  let port: number | undefined;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server was not ready in ${READY_TIMEOUT_MS} ms: ${log.slice(-2000)}`)), READY_TIMEOUT_MS);
    timer.unref();
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code} before it was ready: ${log.slice(-2000)}`));
    };
    child.once('exit', onExit);
    child.once('error', reject);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      port ??= Number(LISTENING.exec(log)?.[1] ?? Number.NaN) || undefined;
      if (port !== undefined && log.includes('Server is ready')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stderr?.removeAllListeners('data');
        // Keep reading, so that a full pipe never blocks the server's logging.
        child.stderr?.resume();
        resolve(port);
      }
    });
  });
}

/** Starts `nats-server -js` on a free loopback port with a fresh store. */
export async function startNatsBroker(): Promise<NatsBroker> {
  const binary = natsServerBinary();
  if (binary === undefined) throw new Error('nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER');
  const store = mkdtempSync(join(tmpdir(), 'sluice-bench-nats-'));
  // -p -1: the server picks a free port itself and logs it, so no other process can take it first.
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', '-1', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(child, 'exit');
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // A child that never started (no pid) emits no exit to wait for.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      process.off('exit', killOnExit);
      rmSync(store, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const port = await awaitReady(child);
    return { url: `nats://127.0.0.1:${port}`, pid: child.pid as number, stop };
  } catch (err: unknown) {
    await stop();
    throw err;
  }
}
