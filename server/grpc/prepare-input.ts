/**
 * Turns a request's tensors or image into a scheduler input, checking it against the model on
 * the way. The checks here are cheap (names, types, shapes, byte counts); decoding an image is a
 * worker's job. Nothing is copied: the input keeps views into the received message, whose buffer
 * moves to the worker when the message owns it (see `packRun` for the others).
 *
 * A tensor sent to a model's image input is held to what an image would cost: no larger than the
 * model's preprocessing ever makes an image, and no more pixels than `--max-image-pixels`.
 * Otherwise a client could make every worker's onnxruntime arena grow to any size it likes (the
 * arena keeps its peak), which the limits on images are there to prevent.
 */
import type { PredictRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import { Layout } from '../../gen/ts/sluice/v1/model_config.js';
import type { Tensor, TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError } from '../errors.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { PreparedInput } from '../scheduler/work-item.js';
import { bytesPerElement, dataTypeName, isSupportedDataType } from '../tensor/data-types.js';
import { type TensorSize, largestTensor } from '../worker/preprocess/plan-resize.js';
import { resolvePreprocessing } from '../worker/preprocess/resolve-preprocessing.js';
import type { TensorData } from '../worker/task.js';

const invalid = (message: string): never => {
  throw new SluiceError('INVALID_INPUT', message);
};

/** The received message's size and buffer, when it has one of its own. */
export interface Received {
  readonly bytes: number;
  readonly owned: ArrayBuffer | undefined;
}

/** The server's limits on what one item may ask of a worker. */
export interface InputLimits {
  /** Largest `width * height` of an image, or of a tensor sent in place of one (`--max-image-pixels`). */
  readonly maxImagePixels: number;
}

/** A model's image input as a tensor: where its sides are, and the largest preprocessing makes them. */
interface ImageInput {
  readonly name: string;
  readonly heightAxis: number;
  readonly widthAxis: number;
  readonly largest: TensorSize;
}

/** Per loaded model (a reload makes a new one), null for a model without an image input. */
const imageInputs = new WeakMap<LoadedModel, ImageInput | null>();

function imageInputOf(model: LoadedModel): ImageInput | undefined {
  let known = imageInputs.get(model);
  if (known === undefined) {
    known = describeImageInput(model) ?? null;
    imageInputs.set(model, known);
  }
  return known ?? undefined;
}

function describeImageInput(model: LoadedModel): ImageInput | undefined {
  const pre = model.config.preprocessing;
  if (pre === undefined || model.imageInput === undefined) return undefined;
  const resolved = resolvePreprocessing(pre);
  const nchw = resolved.layout === Layout.LAYOUT_NCHW;
  return { name: model.imageInput, heightAxis: nchw ? 2 : 1, widthAxis: nchw ? 3 : 2, largest: largestTensor(resolved) };
}

/** Checks `request` against `model` and `limits`; the result refers to the request's bytes. */
export function prepareInput(request: PredictRequest, model: LoadedModel, received: Received, limits: InputLimits): PreparedInput {
  const hasTensors = request.inputs.length > 0;
  if (hasTensors && request.image !== undefined) invalid('set either inputs or image, not both');
  if (request.image !== undefined) {
    if (model.imageInput === undefined) {
      invalid(`model ${model.name} takes tensors (${describeInputs(model.config.inputs)}), not images`);
    }
    const { data, width, height, pixelFormat } = request.image;
    return { input: { kind: 'image', image: { data, width, height, pixelFormat } }, rows: 1, bytes: received.bytes, owned: received.owned };
  }
  if (model.pipeline !== undefined) invalid(`model ${model.name} is a pipeline and takes images, not tensors`);
  if (!hasTensors) invalid(`request has neither inputs nor an image; model ${model.name} takes ${describeInputs(model.config.inputs)}`);
  return prepareTensors(request.inputs, model, received, limits);
}

function prepareTensors(tensors: readonly Tensor[], model: LoadedModel, received: Received, limits: InputLimits): PreparedInput {
  const specs = model.config.inputs;
  const image = imageInputOf(model);
  const seen = new Set<string>();
  const data: TensorData[] = [];
  let rows = -1;
  let owned = received.owned;
  for (const tensor of tensors) {
    const spec = specs.find((s) => s.name === tensor.name);
    if (spec === undefined) invalid(`model ${model.name} has no input ${JSON.stringify(tensor.name)}; its inputs are ${describeInputs(specs)}`);
    if (seen.has(tensor.name)) invalid(`input ${tensor.name} is given twice`);
    seen.add(tensor.name);
    const shape = checkTensor(tensor, spec as TensorSpec, model, tensor.name === image?.name ? { image, limits } : undefined);
    const first = shape[0] ?? 1;
    if (rows !== -1 && model.config.maxBatchSize > 1 && first !== rows) {
      invalid(`inputs disagree on the batch dimension: ${tensor.name} has ${first}, an earlier input ${rows}`);
    }
    rows = first;
    let bytes = tensor.rawData;
    if (tensor.floatData.length > 0) {
      // The JSON-friendly form, for hand-written requests: its values need a buffer of their own.
      bytes = new Uint8Array(new Float32Array(tensor.floatData).buffer);
      owned = undefined;
    }
    data.push({ name: tensor.name, dtype: tensor.dtype, shape, data: bytes });
  }
  const missing = specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0) invalid(`model ${model.name} needs input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (model.config.maxBatchSize > 1 && rows > model.config.maxBatchSize) {
    invalid(`batch dimension ${rows} exceeds model ${model.name}'s max_batch_size ${model.config.maxBatchSize}`);
  }
  return { input: { kind: 'tensors', tensors: data }, rows: Math.max(rows, 1), bytes: received.bytes, owned };
}

/** Checks one tensor against its spec (and, for an image input, the image limits) and returns its shape as numbers. */
function checkTensor(tensor: Tensor, spec: TensorSpec, model: LoadedModel, asImage: { image: ImageInput; limits: InputLimits } | undefined): number[] {
  const name = tensor.name;
  if (tensor.dtype === DataType.DATA_TYPE_UNSPECIFIED) invalid(`input ${name} has no dtype; model ${model.name} expects ${dataTypeName(spec.dtype)}`);
  if (!isSupportedDataType(tensor.dtype)) invalid(`input ${name} has an unknown dtype (${tensor.dtype})`);
  if (tensor.dtype !== spec.dtype) invalid(`input ${name} is ${dataTypeName(tensor.dtype)} but model ${model.name} expects ${dataTypeName(spec.dtype)}`);
  const expected = `[${spec.shape.join(', ')}]`;
  const given = `[${tensor.shape.join(', ')}]`;
  if (tensor.shape.length !== spec.shape.length) {
    invalid(`input ${name} has rank ${tensor.shape.length} (shape ${given}) but model ${model.name} expects rank ${spec.shape.length} ${expected}`);
  }
  let count = 1;
  const shape = tensor.shape.map((dim, d) => {
    const want = spec.shape[d] ?? -1n;
    if (dim < 0n) invalid(`input ${name} has a negative dimension ${dim} at axis ${d} (shape ${given})`);
    if (want !== -1n && dim !== want) invalid(`input ${name} has shape ${given} but model ${model.name} expects ${expected} (axis ${d} must be ${want})`);
    // No model here computes anything on an empty tensor: say so rather than fail inside onnxruntime.
    if (dim === 0n) invalid(`input ${name} has a zero-size dimension at axis ${d} (shape ${given}); model ${model.name} needs at least one element along every axis`);
    if (dim > BigInt(Number.MAX_SAFE_INTEGER)) invalid(`input ${name} has a dimension ${dim} at axis ${d} beyond what any tensor can hold`);
    const value = Number(dim);
    count *= value;
    return value;
  });
  if (!Number.isSafeInteger(count)) invalid(`input ${name} has shape ${given}, which has more elements than any tensor can hold`);
  if (asImage !== undefined) checkImageSize(name, shape, asImage.image, asImage.limits, model);
  const size = count * bytesPerElement(tensor.dtype);
  if (tensor.floatData.length > 0) {
    if (tensor.rawData.byteLength > 0) invalid(`input ${name} sets both raw_data and float_data; set one`);
    if (tensor.dtype !== DataType.DATA_TYPE_FLOAT32) invalid(`input ${name} uses float_data, which carries float32 only, but is ${dataTypeName(tensor.dtype)}`);
    if (tensor.floatData.length !== count) invalid(`input ${name} has ${tensor.floatData.length} values in float_data but shape ${given} needs ${count}`);
  } else if (tensor.rawData.byteLength !== size) {
    invalid(`input ${name} has ${tensor.rawData.byteLength} bytes of raw_data but shape ${given} of ${dataTypeName(tensor.dtype)} needs ${size}`);
  }
  return shape;
}

/** Holds a tensor for an image input to the size an image could reach. */
function checkImageSize(name: string, shape: readonly number[], image: ImageInput, limits: InputLimits, model: LoadedModel): void {
  const height = shape[image.heightAxis] as number;
  const width = shape[image.widthAxis] as number;
  const { largest } = image;
  const most = `model ${model.name} takes images, which its preprocessing makes at most ${largest.width} wide and ${largest.height} tall`;
  if (height > largest.height) invalid(`input ${name} has height ${height} (axis ${image.heightAxis}) but ${most}`);
  if (width > largest.width) invalid(`input ${name} has width ${width} (axis ${image.widthAxis}) but ${most}`);
  if (width * height > limits.maxImagePixels) {
    throw new SluiceError(
      'IMAGE_TOO_LARGE',
      `input ${name} is ${width}x${height} (${width * height} pixels), over the server's limit of ${limits.maxImagePixels} pixels per image`,
    );
  }
}

function describeInputs(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `${s.name} ${dataTypeName(s.dtype)}[${s.shape.join(', ')}]`).join(', ');
}
