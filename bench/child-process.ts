/**
 * Child processes of the benchmark: servers that announce their port in a JSON line on stdout,
 * and measuring scripts that print one JSON result. Every child is killed if the benchmark exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root (bench/ sits directly under it). */
export const REPO_ROOT = join(import.meta.dirname, '..');

/** Node arguments that run one of the benchmark's TypeScript files. */
export function benchScript(file: string): string[] {
  return ['--import', 'tsx', join(REPO_ROOT, 'bench', file)];
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(child: ChildProcess): Promise<number | null> {
  live.add(child);
  return once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });
}

/** A child that serves on a port. */
export interface ServingChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** JSON lines the child printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Options of `spawnServing`. */
export interface SpawnServingOptions {
  /** Arguments after the node executable. */
  readonly args: readonly string[];
  /** The port a JSON line announces, or undefined for other lines. */
  readonly portOf: (entry: Record<string, unknown>) => number | undefined;
  readonly timeoutMs?: number;
}

/** Starts a child and resolves once it announced its port. */
export async function spawnServing(options: SpawnServingOptions): Promise<ServingChild> {
  const child = spawn(process.execPath, [...options.args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = track(child);
  const lines: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.args.join(' ')} did not announce a port in time`)), options.timeoutMs ?? 60_000);
    timer.unref();
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a JSON line
      }
      lines.push(entry);
      const announced = options.portOf(entry);
      if (announced !== undefined) {
        clearTimeout(timer);
        resolve(announced);
      }
    });
    void exited.then((code) => reject(new Error(`${options.args.join(' ')} exited with ${code} before serving`)));
  });
  return { child, pid: child.pid as number, port, lines, exited };
}

/** Asks a child to stop with SIGTERM and waits; SIGKILL after `graceMs`. Idempotent. */
export async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 30_000): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    timer.unref();
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
  return exited;
}

/** Runs a script to its end and parses the last line it printed as JSON. */
export async function runJsonChild<T>(args: readonly string[]): Promise<T> {
  const child = spawn(process.execPath, [...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = track(child);
  let out = '';
  (child.stdout as NodeJS.ReadableStream).setEncoding('utf8');
  (child.stdout as NodeJS.ReadableStream).on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await exited;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}
