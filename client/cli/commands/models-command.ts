/**
 * `sluice models [name]`: the repository as a table, or one model's configuration as JSON; and
 * its subcommands, `push` (upload a model) and `init` (write a model.yaml for an ONNX file). A
 * first argument that is not a subcommand is a model name, so `sluice models tiny-cnn` describes
 * tiny-cnn as it always did.
 */
import type { Command } from 'commander';
import { GetModelResponse, ListModelsResponse, modelStateToJSON } from '../../../gen/ts/sluice/v1/inference_service.js';
import { type GlobalOptions, connect } from '../cli-context.js';
import { registerModelsInitCommand } from './models-init-command.js';
import { registerModelsPushCommand } from './models-push-command.js';

export function registerModelsCommand(program: Command, globals: () => GlobalOptions): void {
  const models = program
    .command('models')
    .description('list the models, or show one model\'s configuration; push and init work on model files')
    .argument('[name]', 'model to describe')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const global = globals();
      const client = await connect(global);
      try {
        if (name !== undefined) {
          const model = await client.getModel(name, { timeoutMs: global.timeout });
          process.stdout.write(`${JSON.stringify(GetModelResponse.toJSON(model), null, 2)}\n`);
          return;
        }
        const list = await client.listModels({ timeoutMs: global.timeout });
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(ListModelsResponse.toJSON(list), null, 2)}\n`);
          return;
        }
        const rows = list.models.map((m) => [
          m.name,
          modelStateToJSON(m.state).replace('MODEL_STATE_', '').toLowerCase(),
          m.acceptsImages ? 'image' : 'tensors',
          m.postprocessor || '-',
          String(m.maxBatchSize),
          m.description,
        ]);
        printTable(['NAME', 'STATE', 'INPUT', 'POSTPROCESSOR', 'BATCH', 'DESCRIPTION'], rows);
      } finally {
        client.close();
      }
    });
  registerModelsPushCommand(models, globals);
  registerModelsInitCommand(models, globals);
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  }
}
