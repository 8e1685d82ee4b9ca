/**
 * `sluice health [service]`: the server's health, or a model's with `--model`. Exits 0 when
 * serving, 1 otherwise, so it can serve as a probe.
 */
import type { Command } from 'commander';
import { type GlobalOptions, connect } from '../cli-context.js';

export function registerHealthCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('health')
    .description('check the server\'s health (exit 0 when serving)')
    .option('-m, --model <name>', 'check one model instead of the whole server')
    .action(async (options: { model?: string }) => {
      const global = globals();
      const client = await connect(global);
      try {
        const service = options.model === undefined ? '' : `sluice.v1.InferenceService/${options.model}`;
        const state = await client.health(service, { timeoutMs: global.timeout });
        process.stdout.write(`${state}\n`);
        if (state !== 'SERVING') process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
