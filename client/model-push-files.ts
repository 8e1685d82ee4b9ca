/**
 * How a model's files are named when they are pushed (`PushModel`), so that the server's loader
 * finds them: the ONNX file as `model.onnx` (or as its config's `file`), the config as
 * `model.yaml`, the labels as the config's `labels_file` or, without a config, as `labels.txt`,
 * which the server picks up beside an ONNX file it configures itself. Shared by `sluice models
 * push` and the web bridge's upload.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import type { PushModelFile } from './sluice-client.js';

/** The file names the server's loader reads by default. */
const MODEL_FILE = 'model.onnx';
const CONFIG_FILE = 'model.yaml';
const LABELS_BESIDE = 'labels.txt';

/** A set of files that cannot make a model; the message says which and why. */
export class ModelFilesError extends Error {
  readonly code = 'INVALID_MODEL_FILES';

  constructor(message: string) {
    super(message);
    this.name = 'ModelFilesError';
  }
}

/** Where the files to push are on disk, and what they describe them as in messages. */
export interface ModelFilePaths {
  /** The model's name on the server. */
  readonly name: string;
  readonly onnx: string;
  readonly config?: string | undefined;
  readonly labels?: string | undefined;
  /** How each file is named in messages (default its path): a flag, or a form field's file name. */
  readonly describe?: { readonly onnx?: string; readonly config?: string; readonly labels?: string };
}

/** The files to send, named as the server's loader will look for them. Throws `ModelFilesError`. */
export async function modelPushFiles(paths: ModelFilePaths): Promise<PushModelFile[]> {
  const onnxName = paths.describe?.onnx ?? paths.onnx;
  const configName = paths.describe?.config ?? paths.config ?? '';
  const labelsName = paths.describe?.labels ?? paths.labels ?? '';
  if (!onnxName.endsWith('.onnx')) throw new ModelFilesError(`${onnxName} is not an .onnx file`);
  for (const path of [paths.onnx, paths.config, paths.labels]) {
    if (path !== undefined && !existsSync(path)) throw new ModelFilesError(`${path} does not exist`);
  }
  if (paths.config === undefined) {
    return [{ name: MODEL_FILE, path: paths.onnx }, ...(paths.labels === undefined ? [] : [{ name: LABELS_BESIDE, path: paths.labels }])];
  }
  const config = await readConfigFields(paths.config, configName);
  if (config.name !== undefined && config.name !== paths.name) {
    throw new ModelFilesError(`${configName} names the model ${JSON.stringify(config.name)}, not ${JSON.stringify(paths.name)}: remove its name line or push it as ${config.name}`);
  }
  const modelFile = config.file ?? MODEL_FILE;
  if (!modelFile.endsWith('.onnx') || basename(modelFile) !== modelFile) throw new ModelFilesError(`${configName}: file must name an .onnx file in the model folder, got ${JSON.stringify(modelFile)}`);
  const files: PushModelFile[] = [
    { name: modelFile, path: paths.onnx },
    { name: CONFIG_FILE, path: paths.config },
  ];
  if (paths.labels !== undefined) {
    const sentAs = basename(labelsName);
    if (config.labelsFile !== sentAs) {
      throw new ModelFilesError(`the labels are sent as ${sentAs}, but ${configName} ${config.labelsFile === undefined ? 'has no labels_file' : `has labels_file: ${config.labelsFile}`}; set labels_file: ${sentAs}`);
    }
    files.push({ name: sentAs, path: paths.labels });
  }
  return files;
}

/** The few fields of a model.yaml that decide how its files are named. */
async function readConfigFields(path: string, described: string): Promise<{ name?: string; file?: string; labelsFile?: string }> {
  const document = parseDocument(await readFile(path, 'utf8'));
  const error = document.errors[0];
  if (error !== undefined) {
    const at = error.linePos?.[0];
    throw new ModelFilesError(`${described} is not valid YAML${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}`);
  }
  const raw: unknown = document.toJS();
  const fields = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' && fields[key] !== '' ? fields[key] : undefined);
  return { name: text('name'), file: text('file'), labelsFile: text('labels_file') };
}
