/**
 * Runs `sluice serve` in a child process, for tests that need to signal the server or measure its
 * memory apart from the test's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { MODELS_DIR } from './test-server.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/**
 * The `sluice` command as users run it: the compiled CLI (`npm test` compiles first), which also
 * starts in half the time of the sources through tsx.
 */
export const CLI = join(REPO_ROOT, 'dist', 'client', 'cli', 'sluice.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** Parsed JSON log lines seen so far. */
  readonly logs: Record<string, unknown>[];
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `sluice serve --port 0` with extra flags and waits until it serves; with the repository's
 * models unless `flags` names another `--models` folder or only `--model` files
 * (`options.repository: false`).
 */
export async function startServerProcess(
  t: Pick<TestContext, 'after'>,
  flags: readonly string[] = [],
  options: { readonly repository?: boolean } = {},
): Promise<ServerProcess> {
  const models = options.repository === false || flags.includes('--models') ? [] : ['--models', MODELS_DIR];
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...models, '--workers', '2', '--metrics-port', '0', '--log-level', 'debug', ...flags],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const logs: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'sluice is serving') resolve(entry.port as number);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before serving`)));
  });
  return {
    child,
    address: `127.0.0.1:${port}`,
    logs,
    exited,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return Number(kb) * 1024;
    },
  };
}
