/**
 * `sluice serve`: runs a server until SIGINT or SIGTERM, then drains: it stops accepting, answers
 * every accepted item and exits 0. When the drain deadline passes, or a second signal arrives,
 * what is left is answered UNAVAILABLE at once and the exit code is EXIT_FORCED_STOP. SIGHUP
 * rereads the token file; an invalid one is reported and the tokens in force stay.
 */
import { type Command, Option } from 'commander';
import type { StopOutcome } from '../../../server/index.js';
// The option table is light (no onnxruntime); the server itself is imported only when serving.
import { SERVER_OPTIONS } from '../../../server/config/server-options.js';

/** Exit code of a stop that could not answer every accepted item in full (drain timeout, second signal). */
export const EXIT_FORCED_STOP = 3;

export function registerServeCommand(program: Command): void {
  const command = program.command('serve').description('run the inference server (flags override SLUICE_* environment variables)');
  // Commander names attributes after the flag (--models -> models); map them back to config keys.
  const keyOf = new Map<string, string>();
  for (const [key, spec] of Object.entries(SERVER_OPTIONS)) {
    const option = new Option(spec.isSwitch === true ? `${spec.flag} [value]` : `${spec.flag} <value>`, `${spec.help} [env ${spec.env}]`);
    keyOf.set(option.attributeName(), key);
    command.addOption(option);
  }
  command.addOption(
    new Option('--bind <spec>', 'consume a NATS JetStream binding, e.g. "name=frames,stream=FRAMES,subject=frames.>,model=tiny-cnn,results=results.frames[,create]", quoted (repeatable) [env SLUICE_BINDINGS, ;-separated]')
      .argParser((spec: string, specs: string[] | undefined) => [...(specs ?? []), spec]),
  );
  command.addOption(
    new Option('--model <[name=]file.onnx>', 'serve an ONNX file with its configuration inferred (repeatable; see --postprocess, --labels) [env SLUICE_MODEL_FILES, ;-separated]')
      .argParser((spec: string, specs: string[] | undefined) => [...(specs ?? []), spec]),
  );
  command.addOption(new Option('-c, --config <file>', 'YAML or JSON file of options (below flags and SLUICE_* variables)').env('SLUICE_CONFIG'));
  command.option('--print-config', 'print the effective configuration as JSON and exit');
  command.action(async (options: Record<string, string | boolean | string[] | undefined>) => {
    const { SluiceServer, readConfigFile, resolveServerConfig } = await import('../../../server/index.js');
    const flags: Record<string, string> = {};
    for (const [attribute, value] of Object.entries(options)) {
      const key = keyOf.get(attribute);
      // A switch given alone (`--metrics-tls`) arrives as true.
      if (key !== undefined && value !== undefined) flags[key] = String(value);
    }
    const bindings = Array.isArray(options.bind) ? options.bind : undefined;
    const modelFiles = Array.isArray(options.model) ? options.model : undefined;
    const file = typeof options.config === 'string' ? await readConfigFile(options.config) : undefined;
    const config = resolveServerConfig({ flags: { ...flags, bindings, modelFiles }, env: process.env, file });
    if (options.printConfig === true) {
      // Secrets are shown as set or not, never printed.
      const printed = { ...config, natsToken: config.natsToken === '' ? '' : '(set)' };
      process.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
      return;
    }
    const server = await SluiceServer.start(config);
    const onHangUp = (): void => {
      server.reloadTokens().catch((err: unknown) => {
        process.stderr.write(`sluice: token file not reloaded, the tokens in force stay: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    };
    process.on('SIGHUP', onHangUp);
    const outcome = await new Promise<StopOutcome>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`sluice: ${signal} again, stopping now\n`);
          void server.destroy();
          return;
        }
        stopping = true;
        void server.close().then(resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    process.off('SIGHUP', onHangUp);
    if (outcome === 'forced') {
      process.stderr.write('sluice: stopped before every accepted item was finished; those items were answered UNAVAILABLE\n');
      process.exitCode = EXIT_FORCED_STOP;
    }
  });
}
