/**
 * Which flags the compiled `sluice serve` knows, read from its `--help` once. Scenarios that need
 * a flag the server may not have yet (the server is rewritten while the benchmark grows) pass it
 * only when it is there, and report that it was not.
 */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './child-process.js';
import { SLUICE_CLI } from './server-process.js';

let known: ReadonlySet<string> | undefined;

/** The `--flags` that `sluice serve --help` lists. */
export function serveFlags(): ReadonlySet<string> {
  if (known === undefined) {
    const help = execFileSync(process.execPath, [SLUICE_CLI, 'serve', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    known = new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? []);
  }
  return known;
}

/** Flags split into the arguments the server takes and the names of those it does not know. */
export interface SupportedFlags {
  readonly args: readonly string[];
  readonly missing: readonly string[];
}

/** Keeps the flags (`{ '--max-streams': '2000' }`) that the server knows. */
export function supportedFlags(flags: Readonly<Record<string, string>>): SupportedFlags {
  const args: string[] = [];
  const missing: string[] = [];
  for (const [flag, value] of Object.entries(flags)) {
    if (serveFlags().has(flag)) args.push(flag, value);
    else missing.push(flag);
  }
  return { args, missing };
}
