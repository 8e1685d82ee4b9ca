/**
 * Completes a model's configuration from its ONNX file and checks the whole. A model.yaml is taken
 * as written, with inputs and outputs read from the file where it leaves them out. A model served
 * without one (a bare `.onnx` file) gets everything inferred: batching from a dynamic first
 * dimension, image preprocessing from an image-shaped input, and the postprocessor that
 * `--postprocess` names or the outputs' shapes allow. Every value's origin goes into `sources`.
 */
import { ConfigOrigin } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ModelConfig, Postprocessor } from '../../gen/ts/sluice/v1/model_config.js';
import { DataType, type TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { dataTypeName, isSupportedDataType } from '../tensor/data-types.js';
import { resolveDetectionOutputs } from '../worker/postprocess/detection-outputs.js';
import type { ConfigSources } from './config-sources.js';
import { inferPostprocessor, numericShapes } from './infer-postprocessor.js';
import { describeSpec, imageLayoutOf, inferPreprocessing } from './infer-preprocessing.js';
import type { ModelOverrides } from './model-overrides.js';
import type { OnnxSignature } from './onnx-signature.js';

/** Batch size given to a zero-config model whose first dimensions are all dynamic. */
export const INFERRED_MAX_BATCH = 8;
/** Most classes a segmentation mask can hold: its PNG has an 8-bit palette. */
const MAX_SEGMENTATION_CLASSES = 256;

/** The shapes each single-output postprocessor reads (segmentation is checked on its own). */
const RANKS: Readonly<Partial<Record<string, { ranks: readonly number[]; shape: string }>>> = {
  classification: { ranks: [2, 3, 4], shape: '[N, classes] scores' },
  textDetection: { ranks: [4], shape: 'an [N, 1, H, W] probability map' },
  peaks: { ranks: [4], shape: 'an [N, C, H, W] heatmap' },
  ctcDecode: { ranks: [3], shape: '[N, T, classes] scores' },
};

/** Reports a problem with a field; never returns. */
export type FailField = (field: string, message: string) => never;

/** What `completeConfig` works from. */
export interface CompletionInput {
  readonly declared: ModelConfig;
  readonly signature: OnnxSignature;
  /** Infer what the declaration leaves out (no model.yaml). */
  readonly infer: boolean;
  readonly overrides: ModelOverrides;
  readonly sources: ConfigSources;
  readonly fail: FailField;
}

/** The completed configuration and the input images feed, if any. */
export interface CompletedConfig {
  readonly config: ModelConfig;
  readonly imageInput: string | undefined;
  /** Why a zero-config model answers with tensors, for the log. */
  readonly notes: readonly string[];
}

/** Completes and checks `input.declared` (see the file comment). Throws through `fail`. */
export function completeConfig(input: CompletionInput): CompletedConfig {
  const { declared, signature, infer, overrides, sources, fail } = input;
  if (signature.inputs.length === 0) fail('inputs', 'cannot be served: the file declares no inputs');
  const inputs = reconcile('inputs', declared.inputs, signature.inputs, fail);
  const outputs = reconcile('outputs', declared.outputs, signature.outputs, fail);
  if (declared.inputs.length === 0) sources.set('inputs', ConfigOrigin.CONFIG_ORIGIN_ONNX);
  if (declared.outputs.length === 0) sources.set('outputs', ConfigOrigin.CONFIG_ORIGIN_ONNX);
  const config: ModelConfig = { ...declared, inputs: [...inputs], outputs: [...outputs] };
  const notes: string[] = [];

  if (infer) {
    const dynamic = [...inputs, ...outputs].every((spec) => spec.shape.length > 0 && spec.shape[0] === -1n);
    config.maxBatchSize = dynamic ? INFERRED_MAX_BATCH : 0;
    sources.set('max_batch_size', ConfigOrigin.CONFIG_ORIGIN_INFERRED, dynamic ? 'the first dimension of every input and output is dynamic' : 'a first dimension is fixed, so items run one at a time');
    const image = inputs.length === 1 && inputs[0] !== undefined ? imageLayoutOf(inputs[0]) : undefined;
    const size = overrides.width !== undefined && overrides.height !== undefined
      ? { width: overrides.width, height: overrides.height }
      : image !== undefined && image.width > 0n && image.height > 0n ? { width: Number(image.width), height: Number(image.height) } : undefined;
    const post = inferPostprocessor(outputs, image === undefined ? undefined : size, overrides.postprocess, sources);
    config.postprocessor = post.postprocessor;
    if (post.postprocessor === undefined) notes.push(`no postprocessor: ${post.reason}`);
    const pre = inferPreprocessing(inputs, overrides, post.postprocessor?.kind?.$case, sources);
    config.preprocessing = pre.preprocessing;
    if (pre.preprocessing === undefined) notes.push(`takes tensors, not images: ${pre.reason}`);
  }

  if (config.maxBatchSize > 1) {
    for (const spec of inputs) {
      if (spec.shape[0] !== -1n) fail('max_batch_size', `is ${config.maxBatchSize} but input ${spec.name} has a fixed first dimension; batching needs it dynamic`);
    }
  }
  const imageInput = checkPreprocessing(config, inputs, fail);
  config.postprocessor = checkPostprocessor(config.postprocessor, outputs, config.labels.length, sources, fail);
  return { config, imageInput, notes };
}

/** The input images feed, after checking the preprocessing fits it. */
function checkPreprocessing(config: ModelConfig, inputs: readonly TensorSpec[], fail: FailField): string | undefined {
  const pre = config.preprocessing;
  if (pre === undefined) return undefined;
  const imageInput = pre.input || (inputs.length === 1 ? inputs[0]?.name : undefined);
  if (imageInput === undefined) return fail('preprocessing.input', `must name one of the inputs (${inputs.map((i) => i.name).join(', ')})`);
  const target = inputs.find((i) => i.name === imageInput);
  if (target === undefined) fail('preprocessing.input', `names ${JSON.stringify(imageInput)}, which is not an input of the model`);
  else if (target.dtype !== DataType.DATA_TYPE_FLOAT32 || target.shape.length !== 4) fail('preprocessing.input', `names ${target.name}, which must be a float32 tensor of rank 4 to take images`);
  if (pre.width === 0 || pre.height === 0) fail('preprocessing', 'needs width and height');
  if (pre.mean.length > 3 || pre.std.length > 3) fail('preprocessing.mean', 'and std take at most 3 values');
  if (pre.std.some((s) => s === 0)) fail('preprocessing.std', 'must not contain 0');
  return imageInput;
}

/**
 * Checks that the outputs a postprocessor reads exist and have shapes it can read. A detector
 * left without a layout gets the one its outputs fit, so that `GetModel` shows it.
 */
function checkPostprocessor(
  postprocessor: Postprocessor | undefined,
  outputs: readonly TensorSpec[],
  labelCount: number,
  sources: ConfigSources,
  fail: FailField,
): Postprocessor | undefined {
  const kind = postprocessor?.kind;
  if (kind === undefined) return postprocessor;
  const field = `postprocessor.${kind.$case.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
  const names = outputs.map((o) => o.name).join(', ');
  const named = (name: string, option: string): TensorSpec | undefined => {
    if (name === '') return undefined;
    const spec = outputs.find((o) => o.name === name);
    return spec ?? fail(`${field}.${option}`, `names ${JSON.stringify(name)}, which is not an output of the model (${names})`);
  };
  if (kind.$case === 'detection') {
    const options = kind.value;
    for (const option of ['output', 'boxesOutput', 'scoresOutput', 'classesOutput'] as const) {
      named(options[option], option.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    }
    const resolved = resolveDetectionOutputs(options, numericShapes(outputs));
    if (!resolved.ok) return fail(field, `cannot read the outputs ${outputs.map(describeSpec).join(', ')}: ${resolved.reason}`);
    if (options.layout !== resolved.layout) sources.set(`${field}.layout`, ConfigOrigin.CONFIG_ORIGIN_INFERRED, `the only layout ${outputs.map(describeSpec).join(', ')} fits`);
    return { kind: { $case: 'detection', value: { ...options, layout: resolved.layout } } };
  }
  const spec = named(kind.value.output, 'output') ?? outputs[0];
  if (spec === undefined) return fail(field, 'needs an output, and the model has none');
  if (!isSupportedDataType(spec.dtype) || spec.dtype === DataType.DATA_TYPE_FLOAT16 || spec.dtype === DataType.DATA_TYPE_BOOL) {
    fail(field, `cannot read ${spec.name}, a ${dataTypeName(spec.dtype)} tensor`);
  }
  const rank = RANKS[kind.$case];
  if (rank !== undefined && !rank.ranks.includes(spec.shape.length)) fail(field, `needs ${rank.shape}; ${describeSpec(spec)} is not`);
  if (kind.$case === 'segmentation') {
    const rank = spec.shape.length;
    if (rank < 3 || rank > 4) fail(field, `needs [N, classes, H, W] scores or an [N, H, W] class map; ${describeSpec(spec)} is neither`);
    const classes = rank === 4 ? Number(spec.shape[1]) : labelCount;
    if (classes > MAX_SEGMENTATION_CLASSES) fail(field, `draws at most ${MAX_SEGMENTATION_CLASSES} classes; ${describeSpec(spec)} has ${classes}`);
  }
  return postprocessor;
}

/**
 * Declared specs must agree with the file: same names, types and ranks, and each declared
 * dimension either -1 or what the file fixes. Declared specs win (they may pin a dimension the
 * file leaves dynamic); without them, the file's are used.
 */
function reconcile(field: 'inputs' | 'outputs', declared: readonly TensorSpec[], actual: readonly TensorSpec[], fail: FailField): readonly TensorSpec[] {
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
