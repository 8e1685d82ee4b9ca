#!/usr/bin/env node
/**
 * The `sluice` command line: `serve` runs a server; the other commands talk to one.
 */
import { Command, Option } from 'commander';
import { type GlobalOptions, reportError } from './cli-context.js';
import { registerBatchCommand } from './commands/batch-command.js';
import { registerHealthCommand } from './commands/health-command.js';
import { registerModelsCommand } from './commands/models-command.js';
import { registerPredictCommand } from './commands/predict-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerStreamCommand } from './commands/stream-command.js';
import { registerUpCommand } from './commands/up-command.js';

const program = new Command('sluice')
  .description('Sluice: stream frames and images to ONNX models over gRPC')
  .addOption(new Option('-s, --server <address>', 'server address, host:port').env('SLUICE_SERVER').default('localhost:50051'))
  .addOption(new Option('--timeout <ms>', 'per-call timeout in milliseconds').default('30000'))
  .option('-v, --verbose', 'print stack traces with errors')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

const globals = (): GlobalOptions => {
  const options = program.opts<{ server: string; timeout: string; verbose?: boolean }>();
  const timeout = Number(options.timeout);
  return { server: options.server, timeout: Number.isFinite(timeout) && timeout > 0 ? timeout : 30_000, verbose: options.verbose === true };
};

registerUpCommand(program);
registerServeCommand(program);
registerPredictCommand(program, globals);
registerModelsCommand(program, globals);
registerHealthCommand(program, globals);
registerStreamCommand(program, globals);
registerBatchCommand(program, globals);

try {
  await program.parseAsync(process.argv);
} catch (err: unknown) {
  process.exitCode = reportError(err, program.opts<{ verbose?: boolean }>().verbose === true);
}
