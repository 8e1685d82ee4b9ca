/**
 * Loads one model folder: parses `model.yaml`, checks it against the `sluice.v1.ModelConfig`
 * schema and against the ONNX file, and completes it with what the file declares. Every failure
 * is an INVALID_CONFIG error naming the model, the file and the field, e.g.
 * `model "x": model.yaml: max_batch_size is ...`. Messages may reach a client (LoadModel), so they
 * hold no path on disk and no library's text: those go in the error's `cause`, for the log.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { parseDocument } from 'yaml';
import { ModelConfig, type OcrPipeline } from '../../gen/ts/sluice/v1/model_config.js';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError } from '../errors.js';
import { PROTOS_DIR } from '../package-root.js';
import { dataTypeName, isSupportedDataType } from '../tensor/data-types.js';
import type { ModelSpec } from '../worker/task.js';
import { readOnnxSignature } from './onnx-signature.js';
import { checkProtoJson } from './proto-json-checker.js';

/** Name of the configuration file in each model folder. */
export const MODEL_CONFIG_FILE = 'model.yaml';

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

/** Loads and checks `<dir>/model.yaml` and its ONNX file. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const folderName = basename(dir);
  const prefix = `model ${JSON.stringify(folderName)}: `;
  const fail = (field: string, message: string): never => {
    throw new SluiceError('INVALID_CONFIG', `${prefix}${MODEL_CONFIG_FILE}: ${field} ${message}`);
  };
  /** A failure whose details (paths, a library's words) stay in the cause. */
  const failWith = (message: string, cause: unknown): never => {
    throw new SluiceError('INVALID_CONFIG', `${prefix}${message}`, { cause });
  };

  const configPath = join(dir, MODEL_CONFIG_FILE);
  const text = await readFile(configPath, 'utf8').catch((err: unknown) => failWith(`${MODEL_CONFIG_FILE} cannot be read`, err));
  const document = parseDocument(text, { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError !== undefined) {
    const at = yamlError.linePos?.[0];
    failWith(`${MODEL_CONFIG_FILE} is not valid YAML${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}`, yamlError);
  }
  const raw: unknown = document.toJS() ?? {};
  const problems = checkProtoJson(await loadModelConfigType(), raw);
  if (problems.length > 0) {
    throw new SluiceError('INVALID_CONFIG', `${prefix}${MODEL_CONFIG_FILE}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  }
  const declared = ModelConfig.fromJSON(raw);

  if (declared.name !== '' && declared.name !== folderName) {
    fail('name', `is ${JSON.stringify(declared.name)} but the folder is ${JSON.stringify(folderName)}; they must match`);
  }
  const pipeline = declared.pipeline?.kind?.value;
  if (pipeline !== undefined) {
    // The stages are checked by the repository once every model is loaded.
    if (pipeline.detector === '' || pipeline.recognizer === '') fail('pipeline.ocr', 'needs a detector and a recognizer');
    const config: ModelConfig = { ...declared, name: folderName };
    return { name: folderName, config, spec: undefined, imageInput: 'image', pipeline };
  }
  const file = declared.file || 'model.onnx';
  const modelPath = join(dir, file);
  if (!existsSync(modelPath)) fail('file', `names ${JSON.stringify(file)}, which does not exist in the model folder`);

  if (declared.labels.length > 0 && declared.labelsFile !== '') fail('labels_file', 'cannot be given together with labels');
  let labels: readonly string[] = declared.labels;
  if (declared.labelsFile !== '') {
    const labelsPath = join(dir, declared.labelsFile);
    if (!existsSync(labelsPath)) fail('labels_file', `names ${JSON.stringify(declared.labelsFile)}, which does not exist`);
    const labelsText = await readFile(labelsPath, 'utf8').catch((err: unknown) => failWith(`${declared.labelsFile} cannot be read`, err));
    labels = labelsText.split(/\r?\n/).filter((line, i, all) => line !== '' || i < all.length - 1);
  }

  const signature = await readOnnxSignature(modelPath).catch((err: unknown) => failWith(`${file} is not an ONNX model onnxruntime can load`, err));
  const inputs = reconcile('inputs', declared.inputs, signature.inputs, fail);
  const outputs = reconcile('outputs', declared.outputs, signature.outputs, fail);

  if (declared.maxBatchSize > 1) {
    for (const input of inputs) {
      if (input.shape[0] !== -1n) fail('max_batch_size', `is ${declared.maxBatchSize} but input ${input.name} has a fixed first dimension; batching needs it dynamic`);
    }
  }

  let imageInput: string | undefined;
  const pre = declared.preprocessing;
  if (pre !== undefined) {
    imageInput = pre.input || (inputs.length === 1 ? inputs[0]?.name : undefined);
    if (imageInput === undefined) fail('preprocessing.input', `must name one of the inputs (${inputs.map((i) => i.name).join(', ')})`);
    const target = inputs.find((i) => i.name === imageInput);
    if (target === undefined) fail('preprocessing.input', `names ${JSON.stringify(imageInput)}, which is not an input of the model`);
    else if (target.dtype !== DataType.DATA_TYPE_FLOAT32 || target.shape.length !== 4) fail('preprocessing.input', `names ${target.name}, which must be a float32 tensor of rank 4 to take images`);
    if (pre.width === 0 || pre.height === 0) fail('preprocessing', 'needs width and height');
    if (pre.mean.length > 3 || pre.std.length > 3) fail('preprocessing.mean', 'and std take at most 3 values');
    if (pre.std.some((s) => s === 0)) fail('preprocessing.std', 'must not contain 0');
  }
  const kind = declared.postprocessor?.kind;
  if (kind !== undefined && kind.value.output !== '' && !outputs.some((o) => o.name === kind.value.output)) {
    fail(`postprocessor.${protoFieldName(kind.$case)}.output`, `names ${JSON.stringify(kind.value.output)}, which is not an output of the model (${outputs.map((o) => o.name).join(', ')})`);
  }
  const config: ModelConfig = { ...declared, name: folderName, file, inputs: [...inputs], outputs: [...outputs], labels: [...labels], labelsFile: declared.labelsFile };
  return { name: folderName, config, spec: { config, modelPath, labels }, imageInput, pipeline: undefined };
}

/**
 * Declared specs must agree with the file: same names, types and ranks, and each declared
 * dimension either -1 or what the file fixes. Declared specs win (they may pin a dimension the
 * file leaves dynamic); without them, the file's are used.
 */
function reconcile(
  field: 'inputs' | 'outputs',
  declared: readonly TensorSpec[],
  actual: readonly TensorSpec[],
  fail: (field: string, message: string) => never,
): readonly TensorSpec[] {
  for (const spec of actual) {
    if (!isSupportedDataType(spec.dtype)) fail(field, `cannot be served: ${spec.name} is not a tensor of a supported type`);
  }
  if (declared.length === 0) return actual;
  const names = (specs: readonly TensorSpec[]): string => specs.map((s) => s.name).join(', ');
  if (declared.length !== actual.length) fail(field, `lists ${names(declared)} but the file has ${names(actual)}`);
  declared.forEach((spec, i) => {
    const path = `${field}[${i}]`;
    const match = actual.find((a) => a.name === spec.name);
    if (match === undefined) return fail(`${path}.name`, `is ${JSON.stringify(spec.name)}, not in the file (${names(actual)})`);
    if (spec.dtype !== match.dtype) fail(`${path}.dtype`, `is ${dataTypeName(spec.dtype)} but the file says ${dataTypeName(match.dtype)}`);
    if (spec.shape.length !== match.shape.length) fail(`${path}.shape`, `has rank ${spec.shape.length} but the file says ${match.shape.length}`);
    spec.shape.forEach((dim, d) => {
      const fixed = match.shape[d] ?? -1n;
      if (dim < -1n || (fixed !== -1n && dim !== -1n && dim !== fixed)) fail(`${path}.shape[${d}]`, `is ${dim} but the file fixes it at ${fixed}`);
    });
    return undefined;
  });
  return declared;
}

/** A generated camelCase field or oneof case as the proto spells it: `textDetection` -> `text_detection`. */
export function protoFieldName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
