/**
 * An Open Inference Protocol `ModelInferRequest` read into the request path's item: the same
 * `PredictRequest` a sluice.v1 client would have sent, checked on the way in the protocol's own
 * terms (datatype names, `raw_input_contents`), so that its errors name what the client wrote.
 *
 * - Inputs come from `raw_input_contents` (the i-th entry holds the i-th input, little-endian),
 *   kept as views into the received message like `predict-codec` keeps them, or from typed
 *   `contents`, copied into bytes of their own.
 * - A BYTES input `image` of one element holding an encoded file becomes the item's image.
 * - `outputs` must name outputs the model has; a model's own tensors asked for by name make the
 *   item return its tensors.
 * - `parameters`: see `infer-parameters.ts`.
 */
import type { ModelInferRequest, ModelInferRequest_InferInputTensor as InferInput } from '../../gen/ts/inference/grpc_service.js';
import { PixelFormat } from '../../gen/ts/sluice/v1/image.js';
import type { PredictRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import type { Tensor } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError } from '../errors.js';
import type { LoadedModel } from '../repository/load-model.js';
import { bytesPerElement } from '../tensor/data-types.js';
import { readInferParameters, refuseTensorParameters } from './infer-parameters.js';
import { InferReply } from './infer-reply.js';
import { IMAGE_INPUT, type KserveSignature, kserveSignature } from './kserve-signature.js';
import { checkVersion } from './model-version.js';
import { BYTES, DATATYPES, datatypeOf, dtypeOfDatatype } from './tensor-datatype.js';
import { bytesOfContents } from './typed-contents.js';

/** A request read for the request path. */
export interface ReadInferRequest {
  readonly request: PredictRequest;
  readonly reply: InferReply;
  readonly timeoutMs: number | undefined;
  /** Whether every input's bytes are views into the received message (no numbers came as typed contents). */
  readonly viewsOnly: boolean;
}

const invalid = (message: string): never => {
  throw new SluiceError('INVALID_INPUT', message);
};

/** Reads `kserve` for `model`; throws a SluiceError naming what does not fit. */
export function readInferRequest(kserve: ModelInferRequest, model: LoadedModel): ReadInferRequest {
  checkVersion(model.name, kserve.modelVersion);
  const { timeoutMs } = readInferParameters(kserve.parameters);
  const signature = kserveSignature(model);
  const outputs = readRequestedOutputs(kserve, model, signature);
  const returnTensors = outputs?.some((name) => signature.tensorOutputs.has(name)) ?? false;
  const reply = new InferReply(kserve.id, model.name, signature, outputs);
  const base = { id: kserve.id, model: model.name, returnTensors, streamOptions: undefined };

  const inputs = kserve.inputs;
  const raw = kserve.rawInputContents;
  if (inputs.length === 0) invalid(`the request has no inputs; model ${model.name} takes ${describe(signature)}`);
  if (raw.length > 0 && raw.length !== inputs.length) {
    invalid(`raw_input_contents has ${raw.length} entries but the request has ${inputs.length} inputs: the i-th entry holds the i-th input`);
  }
  const image = inputs.find((i) => i.datatype === BYTES);
  if (image !== undefined) {
    if (!signature.takesImage) invalid(`input ${image.name} is BYTES but model ${model.name} takes ${describe(signature)}`);
    if (image.name !== IMAGE_INPUT) invalid(`input ${image.name} is BYTES; model ${model.name} takes its image as the BYTES input ${IMAGE_INPUT}`);
    if (inputs.length > 1) invalid(`model ${model.name} takes one input, ${IMAGE_INPUT}, when it is sent an image; this request has ${inputs.length}`);
    const data = imageBytes(image, raw[0]);
    return { request: { ...base, inputs: [], image: { data, width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED } }, reply, timeoutMs, viewsOnly: true };
  }
  const tensors = inputs.map((input, i) => readTensor(input, raw[i], model, signature));
  return { request: { ...base, inputs: tensors, image: undefined }, reply, timeoutMs, viewsOnly: raw.length > 0 };
}

/** The outputs asked for, checked against the model's; undefined when none is named. */
function readRequestedOutputs(kserve: ModelInferRequest, model: LoadedModel, signature: KserveSignature): string[] | undefined {
  if (kserve.outputs.length === 0) return undefined;
  const known = new Set([...signature.outputs.map((o) => o.name), ...signature.tensorOutputs]);
  return kserve.outputs.map(({ name, parameters }) => {
    if (!known.has(name)) invalid(`model ${model.name} has no output ${JSON.stringify(name)}; its outputs are ${[...known].join(', ')}`);
    refuseTensorParameters(`requested output ${name}`, parameters);
    return name;
  });
}

/** Elements of a shape; INVALID_INPUT naming the input for a negative or impossible one. */
function elementsOf(input: InferInput): number {
  let count = 1;
  for (const dim of input.shape) {
    if (dim < 0n) invalid(`input ${input.name} has a negative dimension ${dim} (shape [${input.shape.join(', ')}])`);
    count *= Number(dim);
  }
  if (!Number.isSafeInteger(count)) invalid(`input ${input.name} has shape [${input.shape.join(', ')}], more elements than any tensor can hold`);
  return count;
}

/** The one encoded image a BYTES input holds: a view into the message when it came raw. */
function imageBytes(input: InferInput, raw: Uint8Array | undefined): Uint8Array {
  refuseTensorParameters(`input ${input.name}`, input.parameters);
  const count = elementsOf(input);
  if (count !== 1) invalid(`input ${input.name} holds ${count} elements (shape [${input.shape.join(', ')}]); it must hold exactly one encoded image`);
  if (raw === undefined) {
    const given = input.contents?.bytesContents ?? [];
    if (given.length !== 1) invalid(`input ${input.name} needs its image in raw_input_contents or as one element of contents.bytes_contents; it has ${given.length}`);
    return given[0] as Uint8Array;
  }
  if (input.contents !== undefined) invalid(`input ${input.name} has both contents and a raw_input_contents entry; send one`);
  // A BYTES element is its length (4 bytes, little-endian) followed by its bytes.
  const length = raw.byteLength >= 4 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0, true) : -1;
  if (length !== raw.byteLength - 4) {
    invalid(`input ${input.name}'s raw_input_contents entry is ${raw.byteLength} bytes, which is not one BYTES element (a 4-byte little-endian length, then that many bytes)`);
  }
  return raw.subarray(4);
}

/** One numeric input as a request tensor. */
function readTensor(input: InferInput, raw: Uint8Array | undefined, model: LoadedModel, signature: KserveSignature): Tensor {
  const { name, datatype } = input;
  refuseTensorParameters(`input ${name}`, input.parameters);
  const dtype = dtypeOfDatatype(datatype);
  if (dtype === undefined) invalid(`input ${name} has datatype ${JSON.stringify(datatype)}, which is none of ${DATATYPES.join(', ')}`);
  const spec = model.config.inputs.find((s) => s.name === name);
  if (spec === undefined) invalid(`model ${model.name} has no input ${JSON.stringify(name)}; it takes ${describe(signature)}`);
  else if (spec.dtype !== dtype) {
    const image = signature.takesImage && name === IMAGE_INPUT ? ` (or BYTES, one encoded image)` : '';
    invalid(`input ${name} is ${datatype} but model ${model.name} takes ${datatypeOf(spec.dtype)}${image} for it`);
  }
  const count = elementsOf(input);
  const type = dtype as NonNullable<typeof dtype>;
  let data: Uint8Array;
  if (raw === undefined) {
    if (input.contents === undefined) invalid(`input ${name} has no elements: send them in raw_input_contents or in contents`);
    data = bytesOfContents(name, datatype, type, input.contents as NonNullable<InferInput['contents']>, count);
  } else {
    if (input.contents !== undefined) invalid(`input ${name} has both contents and a raw_input_contents entry; send one`);
    const size = count * bytesPerElement(type);
    if (raw.byteLength !== size) invalid(`input ${name} has ${raw.byteLength} bytes in raw_input_contents but shape [${input.shape.join(', ')}] of ${datatype} needs ${size}`);
    data = raw;
  }
  return { name, dtype: type, shape: input.shape, rawData: data, floatData: [] };
}

/** The inputs a model takes, for messages: `a FP32 [-1, 4], b FP32 [-1, 4]`. */
function describe(signature: KserveSignature): string {
  return signature.inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(', ')}]`).join(', ');
}
