/**
 * `sluice predict <image> --model <name>`: one image, one answer, printed as JSON.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { imageRequest } from '../../image-request.js';
import { CliError, type GlobalOptions, connect } from '../cli-context.js';

export function registerPredictCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('predict')
    .description('run a model on one image file and print the response as JSON')
    .argument('<image>', 'JPEG, PNG or WebP file')
    .requiredOption('-m, --model <name>', 'model to run')
    .option('--tensors', 'also return the raw output tensors')
    .action(async (path: string, options: { model: string; tensors?: boolean }) => {
      const global = globals();
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (err: unknown) {
        throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      const client = await connect(global);
      try {
        const request = { ...imageRequest(options.model, data, path), returnTensors: options.tensors === true };
        const response = await client.predictOne(request, { timeoutMs: global.timeout });
        process.stdout.write(`${JSON.stringify(PredictResponse.toJSON(response), null, 2)}\n`);
      } finally {
        client.close();
      }
    });
}
