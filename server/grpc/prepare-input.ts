/**
 * Turns a request's tensors or image into a scheduler input, checking it against the model on
 * the way. The checks here are cheap (names, types, shapes, byte counts); decoding an image is a
 * worker's job. Each item's bytes are copied once into a buffer of its own, which then moves to
 * the worker without another copy.
 */
import type { PredictRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import type { Tensor, TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError } from '../errors.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { PreparedInput } from '../scheduler/work-item.js';
import { bytesPerElement, dataTypeName, elementCount, isSupportedDataType } from '../tensor/data-types.js';
import type { TensorData } from '../worker/task.js';

const ALIGN = 8;

const invalid = (message: string): never => {
  throw new SluiceError('INVALID_INPUT', message);
};

/** Checks `request` against `model` and copies its payload into transferable buffers. */
export function prepareInput(request: PredictRequest, model: LoadedModel): PreparedInput {
  const hasTensors = request.inputs.length > 0;
  if (hasTensors && request.image !== undefined) invalid('set either inputs or image, not both');
  if (request.image !== undefined) {
    if (model.imageInput === undefined) {
      invalid(`model ${model.name} takes tensors (${describeInputs(model.config.inputs)}), not images`);
    }
    const { data, width, height, pixelFormat } = request.image;
    const copy = new Uint8Array(data.byteLength);
    copy.set(data);
    return { input: { kind: 'image', image: { data: copy, width, height, pixelFormat } }, rows: 1, transfer: [copy.buffer] };
  }
  if (model.pipeline !== undefined) invalid(`model ${model.name} is a pipeline and takes images, not tensors`);
  if (!hasTensors) invalid(`request has neither inputs nor an image; model ${model.name} takes ${describeInputs(model.config.inputs)}`);
  return prepareTensors(request.inputs, model);
}

function prepareTensors(tensors: readonly Tensor[], model: LoadedModel): PreparedInput {
  const specs = model.config.inputs;
  const seen = new Set<string>();
  const sizes: number[] = [];
  let rows = -1;
  for (const tensor of tensors) {
    const spec = specs.find((s) => s.name === tensor.name);
    if (spec === undefined) invalid(`model ${model.name} has no input ${JSON.stringify(tensor.name)}; its inputs are ${describeInputs(specs)}`);
    if (seen.has(tensor.name)) invalid(`input ${tensor.name} is given twice`);
    seen.add(tensor.name);
    sizes.push(checkTensor(tensor, spec as TensorSpec, model));
    const first = tensor.shape[0] ?? 1;
    if (rows !== -1 && model.config.maxBatchSize > 1 && first !== rows) {
      invalid(`inputs disagree on the batch dimension: ${tensor.name} has ${first}, an earlier input ${rows}`);
    }
    rows = first;
  }
  const missing = specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0) invalid(`model ${model.name} needs input${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (model.config.maxBatchSize > 1 && rows > model.config.maxBatchSize) {
    invalid(`batch dimension ${rows} exceeds model ${model.name}'s max_batch_size ${model.config.maxBatchSize}`);
  }

  // One buffer for all of the item's tensors, each at an aligned offset so typed views need no copy.
  const offsets: number[] = [];
  let total = 0;
  for (const size of sizes) {
    offsets.push(total);
    total += Math.ceil(size / ALIGN) * ALIGN;
  }
  const buffer = new ArrayBuffer(total);
  const data: TensorData[] = tensors.map((tensor, i) => {
    const target = new Uint8Array(buffer, offsets[i], sizes[i]);
    if (tensor.floatData.length > 0) new Float32Array(buffer, offsets[i], tensor.floatData.length).set(tensor.floatData);
    else target.set(tensor.rawData);
    return { name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, data: target };
  });
  return { input: { kind: 'tensors', tensors: data }, rows: Math.max(rows, 1), transfer: [buffer] };
}

/** Checks one tensor against its spec and returns its size in bytes. */
function checkTensor(tensor: Tensor, spec: TensorSpec, model: LoadedModel): number {
  const name = tensor.name;
  if (tensor.dtype === DataType.DATA_TYPE_UNSPECIFIED) invalid(`input ${name} has no dtype; model ${model.name} expects ${dataTypeName(spec.dtype)}`);
  if (!isSupportedDataType(tensor.dtype)) invalid(`input ${name} has an unknown dtype (${tensor.dtype})`);
  if (tensor.dtype !== spec.dtype) invalid(`input ${name} is ${dataTypeName(tensor.dtype)} but model ${model.name} expects ${dataTypeName(spec.dtype)}`);
  const expected = `[${spec.shape.join(', ')}]`;
  if (tensor.shape.length !== spec.shape.length) {
    invalid(`input ${name} has rank ${tensor.shape.length} (shape [${tensor.shape.join(', ')}]) but model ${model.name} expects rank ${spec.shape.length} ${expected}`);
  }
  tensor.shape.forEach((dim, d) => {
    const want = spec.shape[d] ?? -1;
    if (!Number.isSafeInteger(dim) || dim < 0) invalid(`input ${name} has an invalid dimension ${dim} at axis ${d}`);
    if (want !== -1 && dim !== want) invalid(`input ${name} has shape [${tensor.shape.join(', ')}] but model ${model.name} expects ${expected} (axis ${d} must be ${want})`);
  });
  const count = elementCount(tensor.shape);
  const size = count * bytesPerElement(tensor.dtype);
  if (tensor.floatData.length > 0) {
    if (tensor.rawData.byteLength > 0) invalid(`input ${name} sets both raw_data and float_data; set one`);
    if (tensor.dtype !== DataType.DATA_TYPE_FLOAT32) invalid(`input ${name} uses float_data, which carries float32 only, but is ${dataTypeName(tensor.dtype)}`);
    if (tensor.floatData.length !== count) invalid(`input ${name} has ${tensor.floatData.length} values in float_data but shape [${tensor.shape.join(', ')}] needs ${count}`);
  } else if (tensor.rawData.byteLength !== size) {
    invalid(`input ${name} has ${tensor.rawData.byteLength} bytes of raw_data but shape [${tensor.shape.join(', ')}] of ${dataTypeName(tensor.dtype)} needs ${size}`);
  }
  return size;
}

function describeInputs(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `${s.name} ${dataTypeName(s.dtype)}[${s.shape.join(', ')}]`).join(', ');
}
