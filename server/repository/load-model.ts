/**
 * Loads one model: parses its `model.yaml`, checks it against the `sluice.v1.ModelConfig` schema
 * and against the ONNX file, and completes it with what the file declares; or, for an ONNX file
 * without a model.yaml, infers the whole configuration (`completeConfig`). Every failure is an
 * INVALID_CONFIG error naming the model, the file and the field, e.g.
 * `model "x": model.yaml: max_batch_size is ...`. Messages may reach a client (LoadModel), so they
 * hold no path on disk and no library's text: those go in the error's `cause`, for the log.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { parseDocument } from 'yaml';
import { ConfigOrigin, type ConfigSource } from '../../gen/ts/sluice/v1/inference_service.js';
import { ModelConfig, type OcrPipeline } from '../../gen/ts/sluice/v1/model_config.js';
import { SluiceError } from '../errors.js';
import { PROTOS_DIR } from '../package-root.js';
import type { ModelSpec } from '../worker/task.js';
import { completeConfig } from './complete-config.js';
import { ConfigSources, writtenFields } from './config-sources.js';
import { type ModelOverrides, NO_OVERRIDES } from './model-overrides.js';
import { readOnnxSignature } from './onnx-signature.js';
import { checkProtoJson } from './proto-json-checker.js';

/** Name of the configuration file in each model folder. */
export const MODEL_CONFIG_FILE = 'model.yaml';
/** Extension of the files a repository serves without a model.yaml. */
export const ONNX_EXTENSION = '.onnx';
/** Labels picked up beside a model folder's only ONNX file when it has no model.yaml. */
export const LABELS_BESIDE = 'labels.txt';

/** A model as the server knows it after start-up checks. */
export interface LoadedModel {
  readonly name: string;
  /** The configuration completed with the ONNX file's inputs and outputs and resolved labels. */
  readonly config: ModelConfig;
  /** What workers need to open the model; undefined for a pipeline, which has no file. */
  readonly spec: ModelSpec | undefined;
  /** Input fed by image preprocessing, when the model accepts images. */
  readonly imageInput: string | undefined;
  /** The stages, when the entry is a pipeline of other models. */
  readonly pipeline: OcrPipeline | undefined;
  /** Where each configuration value came from (`GetModel` shows it). */
  readonly sources: readonly ConfigSource[];
  /** What inference left out and why (a model answering with tensors), for the log. */
  readonly notes: readonly string[];
}

let modelConfigType: Promise<protobuf.Type> | undefined;

function loadModelConfigType(): Promise<protobuf.Type> {
  modelConfigType ??= (async () => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => join(PROTOS_DIR, target);
    await root.load('sluice/v1/model_config.proto', { keepCase: true });
    root.resolveAll();
    return root.lookupType('sluice.v1.ModelConfig');
  })();
  return modelConfigType;
}

/** Where a model's files are and how to read them. */
export interface LoadOptions {
  /** The model's name (default: the folder's name; for a file, its name without `.onnx`). */
  readonly name?: string | undefined;
  /** Start-up settings for a model without a model.yaml. */
  readonly overrides?: ModelOverrides | undefined;
}

/**
 * Loads and checks a model folder: its `model.yaml` and the ONNX file it names, or, without a
 * model.yaml, the folder's only `.onnx` file with its configuration inferred (and `labels.txt`
 * beside it, when there is one).
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const name = options.name ?? basename(dir);
  const overrides = options.overrides ?? NO_OVERRIDES;
  if (existsSync(join(dir, MODEL_CONFIG_FILE))) return load({ name, dir, file: undefined, overrides, labelsBeside: false });
  const onnx = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(ONNX_EXTENSION));
  if (onnx.length !== 1) {
    throw new SluiceError('INVALID_CONFIG', `model ${JSON.stringify(name)}: the folder has no ${MODEL_CONFIG_FILE} and ${onnx.length === 0 ? 'no' : onnx.length} ${ONNX_EXTENSION} files; without a ${MODEL_CONFIG_FILE} it must hold exactly one`);
  }
  return load({ name, dir, file: onnx[0], overrides, labelsBeside: true });
}

/** Loads one ONNX file with no model.yaml, its configuration inferred (`sluice serve --model`). */
export function loadModelFile(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const file = basename(path);
  return load({ name: options.name ?? modelNameOf(file), dir: dirname(path), file, overrides: options.overrides ?? NO_OVERRIDES, labelsBeside: false });
}

/** A model's name from its file's: `yolov8n.onnx` is `yolov8n`. */
export function modelNameOf(file: string): string {
  return basename(file, ONNX_EXTENSION);
}

interface Location {
  readonly name: string;
  readonly dir: string;
  /** The ONNX file to serve without a model.yaml; undefined to read `<dir>/model.yaml`. */
  readonly file: string | undefined;
  readonly overrides: ModelOverrides;
  /** Use `labels.txt` in `dir` when no labels are given (the folder is the model's own). */
  readonly labelsBeside: boolean;
}

async function load(location: Location): Promise<LoadedModel> {
  const { name, dir, overrides } = location;
  const prefix = `model ${JSON.stringify(name)}: `;
  const where = location.file === undefined ? MODEL_CONFIG_FILE : location.file;
  const fail = (field: string, message: string): never => {
    throw new SluiceError('INVALID_CONFIG', `${prefix}${where}: ${field} ${message}`);
  };
  /** A failure whose details (paths, a library's words) stay in the cause. */
  const failWith = (message: string, cause: unknown): never => {
    throw new SluiceError('INVALID_CONFIG', `${prefix}${message}`, { cause });
  };
  const sources = new ConfigSources();

  let declared: ModelConfig;
  if (location.file === undefined) {
    const raw = await readConfigDocument(join(dir, MODEL_CONFIG_FILE), failWith);
    const problems = checkProtoJson(await loadModelConfigType(), raw);
    if (problems.length > 0) {
      throw new SluiceError('INVALID_CONFIG', `${prefix}${MODEL_CONFIG_FILE}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
    }
    declared = ModelConfig.fromJSON(raw);
    sources.setWritten(writtenFields(raw));
    if (declared.name !== '' && declared.name !== name) {
      fail('name', `is ${JSON.stringify(declared.name)} but the folder is ${JSON.stringify(name)}; they must match`);
    }
  } else {
    declared = ModelConfig.fromPartial({ file: location.file });
  }
  const pipeline = declared.pipeline?.kind?.value;
  if (pipeline !== undefined) {
    // The stages are checked by the repository once every model is loaded.
    if (pipeline.detector === '' || pipeline.recognizer === '') fail('pipeline.ocr', 'needs a detector and a recognizer');
    const config: ModelConfig = { ...declared, name };
    return { name, config, spec: undefined, imageInput: 'image', pipeline, sources: sources.list(), notes: [] };
  }
  const file = declared.file || 'model.onnx';
  const modelPath = join(dir, file);
  if (!existsSync(modelPath)) fail('file', `names ${JSON.stringify(file)}, which does not exist in the model folder`);

  if (declared.labels.length > 0 && declared.labelsFile !== '') fail('labels_file', 'cannot be given together with labels');
  let labelsFile = declared.labelsFile === '' ? '' : join(dir, declared.labelsFile);
  if (location.file !== undefined) {
    if (overrides.labelsFile !== undefined) {
      labelsFile = overrides.labelsFile;
      sources.set('labels_file', ConfigOrigin.CONFIG_ORIGIN_OVERRIDE);
    } else if (location.labelsBeside && existsSync(join(dir, LABELS_BESIDE))) {
      labelsFile = join(dir, LABELS_BESIDE);
      sources.set('labels_file', ConfigOrigin.CONFIG_ORIGIN_INFERRED, `${LABELS_BESIDE} is beside the model`);
    }
  }
  let labels: readonly string[] = declared.labels;
  if (labelsFile !== '') {
    if (!existsSync(labelsFile)) fail('labels_file', `names ${JSON.stringify(basename(labelsFile))}, which does not exist`);
    const labelsText = await readFile(labelsFile, 'utf8').catch((err: unknown) => failWith(`${basename(labelsFile)} cannot be read`, err));
    labels = labelsText.split(/\r?\n/).filter((line, i, all) => line !== '' || i < all.length - 1);
  }

  const signature = await readOnnxSignature(modelPath).catch((err: unknown) => failWith(`${file} is not an ONNX model onnxruntime can load`, err));
  const completed = completeConfig({ declared: { ...declared, labels: [...labels] }, signature, infer: location.file !== undefined, overrides, sources, fail });
  const config: ModelConfig = { ...completed.config, name, file, labelsFile: labelsFile === '' ? '' : basename(labelsFile) };
  return { name, config, spec: { config, modelPath, labels }, imageInput: completed.imageInput, pipeline: undefined, sources: sources.list(), notes: completed.notes };
}

/** Reads a model.yaml into plain data, or fails naming the line of a YAML error. */
async function readConfigDocument(path: string, failWith: (message: string, cause: unknown) => never): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((err: unknown) => failWith(`${MODEL_CONFIG_FILE} cannot be read`, err));
  const document = parseDocument(text, { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError !== undefined) {
    const at = yamlError.linePos?.[0];
    failWith(`${MODEL_CONFIG_FILE} is not valid YAML${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}`, yamlError);
  }
  return document.toJS() ?? {};
}

/** A generated camelCase field or oneof case as the proto spells it: `textDetection` -> `text_detection`. */
export function protoFieldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
