#!/usr/bin/env node
/**
 * The `sluice` command line: `serve` runs a server; the other commands talk to one.
 */
import { Command, Option } from 'commander';
import { type GlobalOptions, reportError } from './cli-context.js';
import { readConnectionSecurity } from './connection-flags.js';
import { registerBatchCommand } from './commands/batch-command.js';
import { registerHealthCommand } from './commands/health-command.js';
import { registerModelsCommand } from './commands/models-command.js';
import { registerPredictCommand } from './commands/predict-command.js';
import { registerPublishCommand } from './commands/publish-command.js';
import { registerResultsCommand } from './commands/results-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerStreamCommand } from './commands/stream-command.js';
import { registerUpCommand } from './commands/up-command.js';

const program = new Command('sluice')
  .description('Sluice: stream frames and images to ONNX models over gRPC')
  .addOption(new Option('-s, --server <address>', 'server address, host:port').env('SLUICE_SERVER').default('localhost:50051'))
  .addOption(new Option('--timeout <ms>', 'per-call timeout in milliseconds').default('30000'))
  .addOption(new Option('--tls', 'connect with TLS (implied by --ca, --cert)').env('SLUICE_TLS'))
  .addOption(new Option('--ca <file>', 'PEM CA bundle that signed the server certificate (default: the system CAs)').env('SLUICE_CA'))
  .addOption(new Option('--cert <file>', 'PEM client certificate, for servers that require one (mutual TLS)').env('SLUICE_CERT'))
  .addOption(new Option('--key <file>', 'PEM private key of --cert').env('SLUICE_KEY'))
  .addOption(new Option('--server-name <name>', 'name the server certificate must carry, when not the host of --server').env('SLUICE_SERVER_NAME'))
  .addOption(new Option('--token <token>', 'token sent as `authorization: Bearer` on every call').env('SLUICE_TOKEN'))
  .option('-v, --verbose', 'print stack traces with errors')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

const globals = (): GlobalOptions => {
  const options = program.opts<{ server: string; timeout: string; verbose?: boolean; tls?: boolean | string; ca?: string; cert?: string; key?: string; serverName?: string; token?: string }>();
  const timeout = Number(options.timeout);
  return {
    server: options.server,
    timeout: Number.isFinite(timeout) && timeout > 0 ? timeout : 30_000,
    verbose: options.verbose === true,
    security: readConnectionSecurity(options),
  };
};

registerUpCommand(program, () => {
  const { ca, cert, key, serverName } = program.opts<{ ca?: string; cert?: string; key?: string; serverName?: string }>();
  const paths = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }), ...(serverName === undefined ? {} : { serverName }) };
  return { ...globals(), paths };
});
registerServeCommand(program);
registerPredictCommand(program, globals);
registerModelsCommand(program, globals);
registerHealthCommand(program, globals);
registerStreamCommand(program, globals);
registerBatchCommand(program, globals);
registerPublishCommand(program, globals);
registerResultsCommand(program, globals);

try {
  await program.parseAsync(process.argv);
} catch (err: unknown) {
  process.exitCode = reportError(err, program.opts<{ verbose?: boolean }>().verbose === true);
}
