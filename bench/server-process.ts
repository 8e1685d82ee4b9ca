/**
 * A Sluice server in its own process, started from the compiled CLI exactly as users run it,
 * optionally under node's CPU profiler.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type ServingChild, spawnServing, stopChild } from './child-process.js';

/** Options of `startSluice`. */
export interface SluiceProcessOptions {
  /** Model repository folder. */
  readonly modelsDir: string;
  readonly workers?: number;
  readonly threads?: number;
  /** When set, the server runs with `--cpu-prof` and writes its profiles (one per thread) here. */
  readonly cpuProfileDir?: string;
  /** More `sluice serve` arguments, after the benchmark's own. */
  readonly extraArgs?: readonly string[];
}

/** A running `sluice serve`. */
export interface SluiceProcess {
  readonly pid: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Stops the server gracefully (SIGTERM: it drains, then exits) and waits for it. */
  stop(): Promise<void>;
}

/** Worker threads of every benchmarked server (one per core of the 2-core machine). */
export const SLUICE_WORKERS = 2;
/** onnxruntime intra-op threads per session in every benchmarked server. */
export const SLUICE_THREADS = 1;

/**
 * The compiled CLI; `npm run bench` compiles before it runs. `SLUICE_BENCH_CLI` names another
 * build's `dist/client/cli/sluice.js` (an earlier commit's, say) to measure it with the same
 * scenarios, for a before-and-after taken on the same machine at the same time.
 */
export const SLUICE_CLI = process.env.SLUICE_BENCH_CLI ?? join(REPO_ROOT, 'dist', 'client', 'cli', 'sluice.js');

/** Starts `sluice serve` on a free port and resolves once it serves. */
export async function startSluice(options: SluiceProcessOptions): Promise<SluiceProcess> {
  const nodeFlags: string[] = [];
  if (options.cpuProfileDir !== undefined) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  }
  const serving: ServingChild = await spawnServing({
    args: [
      ...nodeFlags,
      SLUICE_CLI,
      'serve',
      ...['--host', '127.0.0.1', '--port', '0', '--models', options.modelsDir],
      ...['--workers', String(options.workers ?? SLUICE_WORKERS), '--threads', String(options.threads ?? SLUICE_THREADS), '--log-level', 'info'],
      // Metrics stay on, as shipped, but on a free port: several servers run side by side.
      ...['--metrics-port', '0'],
      ...(options.extraArgs ?? []),
    ],
    portOf: (entry) => (entry.msg === 'sluice is serving' && typeof entry.port === 'number' ? entry.port : undefined),
  });
  return {
    pid: serving.pid,
    address: `127.0.0.1:${serving.port}`,
    stop: async () => {
      const code = await stopChild(serving.child, serving.exited);
      if (code !== 0) throw new Error(`sluice serve exited with ${code}`);
    },
  };
}
