/**
 * A model as the Open Inference Protocol sees it: its platform, the inputs and outputs
 * `ModelMetadata` lists (with KServe datatypes), and how requests to it are read and answered.
 *
 * - A model that takes tensors and answers with tensors is listed as its ONNX file declares it.
 * - A model that takes images (it declares preprocessing), and the OCR pipeline, take one input,
 *   `image`: a BYTES tensor of one element holding the encoded file (JPEG, PNG or WebP), as
 *   Triton's image clients send it. Such a request holds one image, so `max_batch_size` is 0;
 *   the server still batches requests together when the model batches (`dynamic_batching`).
 *   (Such a model's own input tensor may still be sent by its name and datatype.)
 * - A model with a postprocessor, and the pipeline, answer with the outputs of `result-outputs.ts`.
 */
import type { ModelMetadataResponse_TensorMetadata as TensorMetadata } from '../../gen/ts/inference/grpc_service.js';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import type { LoadedModel } from '../repository/load-model.js';
import { type ResultKind, resultKindOf, resultOutputs } from './result-outputs.js';
import { BYTES, datatypeOf } from './tensor-datatype.js';

/** Name of the BYTES input that carries an encoded image. */
export const IMAGE_INPUT = 'image';

/** What the protocol's handlers and codec need to know of one model. */
export interface KserveSignature {
  /** `onnxruntime_onnx`, or `ensemble` for a pipeline of models. */
  readonly platform: 'onnxruntime_onnx' | 'ensemble';
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Largest batch dimension a request may carry; 0 when requests have none. */
  readonly maxBatchSize: number;
  /** Whether the server batches requests together for the model (Triton's dynamic batching). */
  readonly batches: boolean;
  /** Whether the model takes an encoded image in the BYTES input `image`. */
  readonly takesImage: boolean;
  /** The structured results it answers with; undefined when it answers with tensors. */
  readonly results: ResultKind | undefined;
  /** Output tensors of its ONNX file that a request may ask for by name besides `outputs`. */
  readonly tensorOutputs: ReadonlySet<string>;
}

/** Per loaded model: a reload makes a new LoadedModel, and so a new signature. */
const signatures = new WeakMap<LoadedModel, KserveSignature>();

/** The signature of `model`. */
export function kserveSignature(model: LoadedModel): KserveSignature {
  let signature = signatures.get(model);
  if (signature === undefined) {
    signature = describe(model);
    signatures.set(model, signature);
  }
  return signature;
}

function describe(model: LoadedModel): KserveSignature {
  const config = model.config;
  const results = resultKindOf(model);
  const takesImage = model.imageInput !== undefined;
  const outputs = results === undefined ? config.outputs.map(toMetadata) : [...resultOutputs(results)];
  const resultNames = new Set(outputs.map((o) => o.name));
  const tensorOutputs = new Set(model.pipeline === undefined ? config.outputs.map((o) => o.name).filter((name) => !resultNames.has(name)) : []);
  const batches = model.pipeline === undefined && config.maxBatchSize > 1;
  if (takesImage) {
    return {
      platform: model.pipeline === undefined ? 'onnxruntime_onnx' : 'ensemble',
      inputs: [{ name: IMAGE_INPUT, datatype: BYTES, shape: [1n] }],
      outputs,
      maxBatchSize: 0,
      batches,
      takesImage,
      results,
      tensorOutputs,
    };
  }
  return {
    platform: 'onnxruntime_onnx',
    inputs: config.inputs.map(toMetadata),
    outputs,
    // Structured results describe one item, so a model that answers with them takes no batch dimension.
    maxBatchSize: results === undefined && hasBatchDimension(config.inputs) ? config.maxBatchSize : 0,
    batches,
    takesImage,
    results,
    tensorOutputs,
  };
}

/**
 * Whether the model's inputs start with a batch dimension: it batches (max_batch_size 1 or more)
 * and each input's first dimension is free or 1.
 */
function hasBatchDimension(inputs: readonly TensorSpec[]): boolean {
  return inputs.length > 0 && inputs.every((i) => i.shape.length > 0 && (i.shape[0] === -1n || i.shape[0] === 1n));
}

function toMetadata(spec: TensorSpec): TensorMetadata {
  return { name: spec.name, datatype: datatypeOf(spec.dtype), shape: [...spec.shape] };
}
