/**
 * `sluice models push model.onnx [--config model.yaml] [--labels labels.txt]`: uploads a model
 * to the server's repository (`PushModel`, the admin role), where it is checked, trial-loaded
 * and served, and prints what the server made of it.
 *
 * The files keep the names the server's loader looks for: the ONNX file goes up as `model.onnx`
 * (or as the config's `file`), the labels as the config's `labels_file` or, without a config, as
 * `labels.txt`, which the server picks up beside an ONNX file it configures itself.
 */
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { PushModelResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { ModelFilesError, modelPushFiles } from '../../model-push-files.js';
import type { PushModelFile } from '../../sluice-client.js';
import { CliError, type GlobalOptions, connect } from '../cli-context.js';
import { onInterrupt } from '../interrupt.js';

interface PushFlags {
  config?: string;
  labels?: string;
  name?: string;
  replace?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerModelsPushCommand(models: Command, globals: () => GlobalOptions): void {
  models
    .command('push')
    .description('upload a model to the server\'s repository, where it is checked, trial-loaded and served (needs the admin role)')
    .argument('<model.onnx>', 'the ONNX file')
    .option('-c, --config <model.yaml>', 'its configuration (default: the server infers one from the ONNX file)')
    .option('-l, --labels <file>', 'class labels, one per line (.txt or .names)')
    .option('-n, --name <name>', 'model name on the server [default: the ONNX file\'s name without .onnx]')
    .option('--replace', 'replace a model of the same name (it goes on serving if the new one fails its checks)')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
With --json (an option of \`sluice models\`, given before or after push) it prints the
server's answer as JSON. The upload has no deadline (--timeout does not apply to it);
Ctrl-C cancels it and the server removes what it received.

Examples:
  sluice models push yolov8n.onnx
  sluice models push model.onnx --config model.yaml --labels classes.txt --name plates
  sluice models push model.onnx --config model.yaml --name plates --replace`,
    )
    .action(async (onnx: string, ownFlags: PushFlags, command: Command) => {
      const global = globals();
      // --json is `sluice models`'s: commander hands it to the parent wherever it is given.
      const flags: PushFlags = { ...ownFlags, json: command.optsWithGlobals<{ json?: boolean }>().json };
      const name = flags.name ?? basename(onnx).replace(/\.onnx$/, '');
      const files = await filesToPush(onnx, flags, name);
      const client = await connect(global);
      const interrupt = onInterrupt();
      const bar = process.stderr.isTTY && flags.quiet !== true && flags.json !== true ? progressBar() : undefined;
      let started = false;
      try {
        const response = await client.pushModel(name, files, {
          replace: flags.replace === true,
          signal: interrupt.signal,
          onProgress: (sent, total) => {
            if (!started) bar?.start(total, 0, { sent: formatBytes(0), size: formatBytes(total) });
            started = true;
            bar?.update(sent, { sent: formatBytes(sent) });
          },
        });
        bar?.stop();
        if (flags.json === true) process.stdout.write(`${JSON.stringify(PushModelResponse.toJSON(response), null, 2)}\n`);
        else process.stdout.write(describePush(response, files, onnx, flags));
      } catch (err: unknown) {
        bar?.stop();
        if (interrupt.signal.aborted) {
          process.stderr.write('sluice: push cancelled; the server keeps nothing of it\n');
          process.exitCode = 130;
          return;
        }
        throw err;
      } finally {
        interrupt.dispose();
        client.close();
      }
    });
}

/** The files to send, named as the server's loader will look for them; a problem is the user's. */
async function filesToPush(onnx: string, flags: PushFlags, name: string): Promise<PushModelFile[]> {
  try {
    return await modelPushFiles({ name, onnx, config: flags.config, labels: flags.labels, describe: { config: `--config ${flags.config ?? ''}` } });
  } catch (err: unknown) {
    if (err instanceof ModelFilesError) throw new CliError(err.message);
    throw err;
  }
}

/** What the server made of the push, with where to look next. */
function describePush(response: PushModelResponse, files: readonly PushModelFile[], onnx: string, flags: PushFlags): string {
  const model = response.model;
  const name = model?.name ?? '';
  const rows: [string, string][] = [
    ['input', model?.acceptsImages === true ? 'image' : `tensors (${response.config?.inputs.map((i) => i.name).join(', ') ?? ''})`],
    ['postprocessor', model?.postprocessor || '-'],
    ['batch', String(model?.maxBatchSize ?? 0)],
  ];
  if ((response.config?.labels.length ?? 0) > 0) rows.push(['labels', String(response.config?.labels.length)]);
  const lines = [
    `pushed ${name}: ${formatBytes(response.bytes)} in ${files.length} file${files.length === 1 ? '' : 's'} (${files.map((f) => f.name).join(', ')})`,
    ...rows.map(([key, value]) => `  ${key.padEnd(14)}${value}`),
    `the configuration it is served with: sluice models ${name}`,
  ];
  if (flags.config === undefined) {
    lines.push(`the server inferred it from the ONNX file; to pin it: sluice models init ${onnx} -o model.yaml, edit it, then push again with --config model.yaml --replace`);
  }
  return `${lines.join('\n')}\n`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** A progress bar in bytes, on stderr. */
function progressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {sent} of {size} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
}
