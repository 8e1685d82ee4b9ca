/**
 * How `ModelInfer` and `ModelStreamInfer` messages are read and written on the server, so that
 * their items take the request path as they are: requests decode straight into the request
 * path's `ReceivedPredict` (as `predict-codec.ts` reads `Predict`), and the request path's
 * `PredictResponse`s encode straight into the protocol's responses, using the reply context each
 * request left on its response.
 *
 * Reading never throws: a message that does not decode, or does not fit its model, becomes an
 * item refused with the reason, answered like any failed item (the call's status for
 * `ModelInfer`, `error_message` on a stream, and the stream goes on).
 */
import type { Logger } from 'pino';
import { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../../gen/ts/inference/grpc_service.js';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { type ReceivedPredict, ownedBuffer, replyOf } from '../grpc/predict-codec.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { InferReply, toInferResponse, toStreamResponse } from './infer-reply.js';
import { readInferRequest } from './infer-request.js';

/** The (de)serializers of `ModelInfer` and `ModelStreamInfer`. */
export interface KserveCodec {
  /** Reads a request against the repository's models. Never throws. */
  readonly decodeRequest: (message: Buffer) => ReceivedPredict;
  /** Writes the answer to a `ModelInfer` call (always a prediction: failures are the call's status). */
  readonly encodeResponse: (response: PredictResponse) => Buffer;
  /** Writes one item's answer on a `ModelStreamInfer` stream. */
  readonly encodeStreamResponse: (response: PredictResponse) => Buffer;
}

/** The codec over the models of `repository`; encoding failures (bugs) are logged on `logger`. */
export function createKserveCodec(repository: Pick<ModelRepository, 'get'>, logger: Logger): KserveCodec {
  return {
    decodeRequest: (message) => decodeRequest(message, repository),
    encodeResponse(response) {
      try {
        const prediction = response.result?.$case === 'prediction' ? response.result.value : undefined;
        const reply = replyOf(response);
        if (prediction === undefined || !(reply instanceof InferReply)) throw new Error('a ModelInfer answer without a prediction or its request');
        return wrap(ModelInferResponse.encode(toInferResponse(prediction, reply)).finish());
      } catch (err: unknown) {
        // grpc-js ends the call INTERNAL with this message: the details go to the log only.
        logger.error({ err }, 'internal error');
        throw new Error('internal error; the server log has the details');
      }
    },
    encodeStreamResponse(response) {
      const reply = replyOf(response);
      let answer: ModelStreamInferResponse;
      try {
        answer = toStreamResponse(response, reply instanceof InferReply ? reply : new InferReply(response.id, response.model));
      } catch (err: unknown) {
        // The item still gets its answer, and the stream goes on.
        logger.error({ err }, 'internal error');
        answer = { errorMessage: 'INTERNAL: internal error; the server log has the details', inferResponse: undefined };
      }
      return wrap(ModelStreamInferResponse.encode(answer).finish());
    },
  };
}

function decodeRequest(message: Buffer, repository: Pick<ModelRepository, 'get'>): ReceivedPredict {
  const bytes = message.byteLength;
  let kserve: ModelInferRequest;
  try {
    kserve = ModelInferRequest.decode(message);
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    const error = new SluiceError('INVALID_INPUT', `the message is not a valid ModelInferRequest: ${reason}`);
    return { request: undefined, error: reason, bytes, owned: undefined, refused: { error, model: '' }, reply: new InferReply('', '') };
  }
  const model = kserve.modelName === '' ? undefined : repository.get(kserve.modelName);
  try {
    if (kserve.modelName === '') throw new SluiceError('INVALID_INPUT', 'model_name is required');
    if (model === undefined) throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(kserve.modelName)} is not in the repository`);
    const read = readInferRequest(kserve, model);
    const owned = read.viewsOnly ? ownedBuffer(message) : undefined;
    return { request: read.request, error: undefined, bytes, owned, timeoutMs: read.timeoutMs, reply: read.reply };
  } catch (err: unknown) {
    const error = err instanceof SluiceError ? err : new SluiceError('INTERNAL', 'the request could not be read', { cause: err });
    // Only a model of the repository may name the item in metrics: a client's name may be anything.
    const refused = { error, model: model?.name ?? '' };
    return { request: undefined, error: undefined, bytes, owned: undefined, refused, reply: new InferReply(kserve.id, kserve.modelName) };
  }
}

/** The encoded bytes, wrapped rather than copied for grpc-js. */
function wrap(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
