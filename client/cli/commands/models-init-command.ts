/**
 * `sluice models init model.onnx`: the model.yaml that `sluice serve --model model.onnx` would
 * use, with each inferred value commented with its reason, to edit and keep beside the model.
 * It reads the file locally (no server needed) with the same code the server uses.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { Document, isMap, isNode, isScalar, isSeq } from 'yaml';
import { ConfigOrigin, type ConfigSource } from '../../../gen/ts/sluice/v1/inference_service.js';
import { ModelConfig } from '../../../gen/ts/sluice/v1/model_config.js';
import { SERVER_OPTIONS } from '../../../server/config/server-options.js';
import type { GlobalOptions } from '../cli-context.js';
import { CliError } from '../cli-context.js';

/** The serve options that shape an inferred configuration, offered by `init` too. */
const OVERRIDE_KEYS = ['postprocess', 'labels', 'mean', 'std', 'channelOrder', 'resize', 'inputSize'] as const;

export function registerModelsInitCommand(models: Command, _globals: () => GlobalOptions): void {
  const command = models
    .command('init')
    .description('write the model.yaml Sluice infers for an ONNX file, with the reasons as comments')
    .argument('<file.onnx>', 'the model file')
    .option('-o, --output <model.yaml>', 'write to this file instead of standard output')
    .option('--force', 'overwrite the output file');
  const keyOf = new Map<string, (typeof OVERRIDE_KEYS)[number]>();
  for (const key of OVERRIDE_KEYS) {
    const spec = SERVER_OPTIONS[key];
    const option = new Option(`${spec.flag} <value>`, spec.help.replace(/ of the --model files|for the --model files |the --model files' /g, ''));
    keyOf.set(option.attributeName(), key);
    command.addOption(option);
  }
  command.action(async (file: string, options: Record<string, string | boolean | undefined>) => {
    // The server's own loader, so that what is written is what `sluice serve --model` would use.
    const { loadModelFile, modelFileOverrides } = await import('../../../server/index.js');
    if (!file.endsWith('.onnx')) throw new CliError(`${file} is not an .onnx file`);
    if (!existsSync(file)) throw new CliError(`${file} does not exist`);
    const values = Object.fromEntries(OVERRIDE_KEYS.map((key) => [key, '']));
    for (const [attribute, value] of Object.entries(options)) {
      const key = keyOf.get(attribute);
      if (key !== undefined && typeof value === 'string') values[key] = String(SERVER_OPTIONS[key].parse(value, SERVER_OPTIONS[key].flag));
    }
    const model = await loadModelFile(file, { name: 'model', overrides: modelFileOverrides(values as Parameters<typeof modelFileOverrides>[0]) });
    const yaml = modelYaml(model.config, model.sources, model.notes);
    const output = typeof options.output === 'string' ? options.output : undefined;
    if (output === undefined) {
      process.stdout.write(yaml);
      return;
    }
    if (existsSync(output) && options.force !== true) throw new CliError(`${output} exists; --force to overwrite it`);
    await writeFile(output, yaml);
    process.stderr.write(`sluice: wrote ${output}\n`);
  });
}

/**
 * The configuration as model.yaml: proto3 JSON with snake_case keys, the name left to the folder,
 * inputs and outputs written out (the server checks them against the file), and each inferred
 * value followed by its reason.
 */
export function modelYaml(config: ModelConfig, sources: readonly ConfigSource[], notes: readonly string[]): string {
  const json = snakeKeys(ModelConfig.toJSON({ ...config, name: '', labels: config.labelsFile === '' ? config.labels : [] })) as Record<string, unknown>;
  const document = new Document(json);
  for (const source of sources) {
    if (source.origin !== ConfigOrigin.CONFIG_ORIGIN_INFERRED && source.origin !== ConfigOrigin.CONFIG_ORIGIN_OVERRIDE) continue;
    const node: unknown = document.getIn(source.field.split('.'), true);
    if (!isNode(node)) continue;
    const why = source.origin === ConfigOrigin.CONFIG_ORIGIN_OVERRIDE ? 'given on the command line' : `inferred${source.reason === '' ? '' : `: ${source.reason}`}`;
    if (isScalar(node)) node.comment = ` ${why}`;
    else node.commentBefore = ` ${why}`;
  }
  // Shapes read best on one line: [-1, 3, 640, 640].
  for (const field of ['inputs', 'outputs']) {
    const specs: unknown = document.get(field, true);
    if (!isSeq(specs)) continue;
    for (const spec of specs.items) {
      const shape: unknown = isMap(spec) ? spec.get('shape', true) : undefined;
      if (isSeq(shape)) shape.flow = true;
    }
  }
  const header = [
    ' Written by `sluice models init`. Edit freely: Sluice checks this file against the ONNX file when',
    ' it loads the model. The schema is sluice.v1.ModelConfig (protos/sluice/v1/model_config.proto).',
    ...notes.map((note) => ` Note: ${note}.`),
  ];
  document.commentBefore = header.join('\n');
  return document.toString({ lineWidth: 0 });
}

/** Proto3 JSON with snake_case keys and int64 dimensions as numbers, as model.yaml is written. */
function snakeKeys(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => (key === 'shape' && typeof v === 'string' ? Number(v) : snakeKeys(v)));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      return [snake, snakeKeys(v, snake)];
    }),
  );
}
