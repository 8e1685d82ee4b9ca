/**
 * The configuration file: YAML (or JSON, which is YAML) whose keys are the option names of
 * `ServerConfig`. It is only read and shape-checked here; its values are parsed with the flags and
 * environment variables in `resolveServerConfig`, so that each has one parser and one message.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SluiceError } from '../errors.js';
import { SERVER_OPTIONS } from './server-options.js';

/** A parsed configuration file: option names as in `ServerConfig`, values as YAML scalars. */
export interface ConfigFile {
  /** The file, named in error messages about its values. */
  readonly path: string;
  /** Its top-level keys and values, checked against `SERVER_OPTIONS` but not yet parsed. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Its `bindings`: a list of mappings, checked with the flags' bindings in `resolveServerConfig`. */
  readonly bindings?: readonly Readonly<Record<string, unknown>>[];
  /** Its `modelFiles`: `[name=]path` strings, like `--model`. */
  readonly modelFiles?: readonly string[];
}

/**
 * Reads a YAML (or JSON) configuration file whose keys are the option names of `ServerConfig`
 * (`port`, `modelsDir`, `streamWindow`...). Unknown keys and wrong shapes are INVALID_CONFIG errors
 * naming the file and the key.
 */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err: unknown) {
    throw new SluiceError('INVALID_CONFIG', `cannot read configuration file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new SluiceError('INVALID_CONFIG', `${path}: not valid YAML: ${document.errors[0]?.message ?? ''}`);
  const values: unknown = document.toJS() ?? {};
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new SluiceError('INVALID_CONFIG', `${path}: must be a mapping of option names to values`);
  }
  const { bindings, modelFiles, ...scalars } = values as Record<string, unknown>;
  if (modelFiles !== undefined && (!Array.isArray(modelFiles) || modelFiles.some((f: unknown) => typeof f !== 'string'))) {
    throw new SluiceError('INVALID_CONFIG', `${path}: modelFiles must be a list of [name=]path strings`);
  }
  if (bindings !== undefined && (!Array.isArray(bindings) || bindings.some((b: unknown) => b === null || typeof b !== 'object' || Array.isArray(b)))) {
    throw new SluiceError('INVALID_CONFIG', `${path}: bindings must be a list of mappings`);
  }
  for (const [key, value] of Object.entries(scalars)) {
    if (!(key in SERVER_OPTIONS)) {
      throw new SluiceError('INVALID_CONFIG', `${path}: ${key} is not an option (known: ${[...Object.keys(SERVER_OPTIONS), 'bindings', 'modelFiles'].join(', ')})`);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new SluiceError('INVALID_CONFIG', `${path}: ${key} must be a number, a string or a boolean`);
    }
  }
  return {
    path,
    values: scalars,
    ...(bindings === undefined ? {} : { bindings: bindings as Record<string, unknown>[] }),
    ...(modelFiles === undefined ? {} : { modelFiles: modelFiles as string[] }),
  };
}
