/**
 * What answering an Open Inference Protocol request needs from it (its id, the model it named,
 * the outputs it asked for), and the answer itself: a `PredictResponse` of the request path
 * turned into a `ModelInferResponse`, or into a `ModelStreamInferResponse` on a stream.
 *
 * Output tensors of the model travel as they came back from the worker: their bytes are handed to
 * the encoder as views, not copied again.
 */
import { status } from '@grpc/grpc-js';
import type { ModelInferResponse, ModelStreamInferResponse } from '../../gen/ts/inference/grpc_service.js';
import type { Prediction, PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { MODEL_VERSION } from './model-version.js';
import type { KserveSignature } from './kserve-signature.js';
import { type OutputTensor, toResultOutputs } from './result-outputs.js';
import { datatypeOf } from './tensor-datatype.js';

/** A request's reply context: travels on its item (`ReceivedPredict.reply`) to the encoder. */
export class InferReply {
  /** The request's `id`, echoed. */
  readonly id: string;
  /** The model the request named (not necessarily one the server has). */
  readonly modelName: string;
  /** The model, when the request named one the server has. */
  readonly signature: KserveSignature | undefined;
  /** The outputs asked for, in the order asked; undefined for every output. */
  readonly outputs: readonly string[] | undefined;

  constructor(id: string, modelName: string, signature?: KserveSignature, outputs?: readonly string[]) {
    this.id = id;
    this.modelName = modelName;
    this.signature = signature;
    this.outputs = outputs;
  }
}

/** The answer to a request whose item was answered with `prediction`. */
export function toInferResponse(prediction: Prediction, reply: InferReply): ModelInferResponse {
  const tensors = outputTensors(prediction, reply);
  return {
    modelName: reply.modelName,
    modelVersion: MODEL_VERSION,
    id: reply.id,
    parameters: {},
    outputs: tensors.map(({ name, datatype, shape }) => ({ name, datatype, shape, parameters: {}, contents: undefined })),
    rawOutputContents: tensors.map((t) => t.raw),
  };
}

/** The stream's answer to one item: its outputs, or why it failed in `error_message`. */
export function toStreamResponse(response: PredictResponse, reply: InferReply): ModelStreamInferResponse {
  const result = response.result;
  if (result?.$case === 'prediction') return { errorMessage: '', inferResponse: toInferResponse(result.value, reply) };
  const error = result?.$case === 'error' ? result.value : { code: status.CANCELLED, message: 'the item was dropped for a fresher one' };
  // The stream carries no status per item: the message starts with the status's name instead.
  const errorMessage = `${status[error.code] ?? 'UNKNOWN'}: ${error.message}`;
  return { errorMessage, inferResponse: { modelName: reply.modelName, modelVersion: MODEL_VERSION, id: reply.id, parameters: {}, outputs: [], rawOutputContents: [] } };
}

/**
 * The output tensors of an answer, in the order asked for (or the model's order): structured
 * results when the model has them, then the model's own tensors the answer holds.
 */
function outputTensors(prediction: Prediction, reply: InferReply): OutputTensor[] {
  const wanted = reply.outputs === undefined ? undefined : new Set(reply.outputs);
  const kind = reply.signature?.results;
  const tensors: OutputTensor[] = kind === undefined ? [] : toResultOutputs(kind, prediction, wanted);
  for (const tensor of prediction.outputs) {
    if (wanted !== undefined && !wanted.has(tensor.name)) continue;
    tensors.push({ name: tensor.name, datatype: datatypeOf(tensor.dtype), shape: tensor.shape, raw: tensor.rawData });
  }
  if (reply.outputs === undefined) return tensors;
  const order = new Map(reply.outputs.map((name, i) => [name, i]));
  return tensors.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
}
