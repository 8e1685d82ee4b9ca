/**
 * The unary path shared by `PredictOne` and the Open Inference Protocol's `ModelInfer`: one
 * received item, checked, held in the byte budget, sent to the scheduler (or a pipeline), and
 * answered once: with its response, or with its error as the call's status. What differs between
 * the two calls is their codec, which has already read the message into a `ReceivedPredict` and
 * writes the response this hands back.
 */
import { Metadata, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ByteBudget } from '../admission/byte-budget.js';
import { SluiceError } from '../errors.js';
import type { Protocol, ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { now } from '../scheduler/work-item.js';
import { errorResponse, toResponse, usesFloatData } from '../stream/response-builder.js';
import { type ReceivedPredict, withReply } from './predict-codec.js';
import { type InputLimits, prepareInput } from './prepare-input.js';
import { toGrpcStatus } from './to-grpc-status.js';

/** What answering one item needs from the server. */
export interface AnswerOneDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  readonly metrics: ServerMetrics;
  /** The server's byte budget for items in flight. */
  readonly budget: ByteBudget;
  /** What one item may ask of a worker (`--max-image-pixels`). */
  readonly inputLimits: InputLimits;
  readonly logger: Logger;
  /** False once the server has started shutting down. */
  readonly accepting: () => boolean;
}

/** A unary call whose request its codec read into a `ReceivedPredict`. */
export type AnswerOneCall = ServerUnaryCall<ReceivedPredict, PredictResponse>;

/**
 * Longest wait a timer can express (setTimeout's limit): a later deadline would fire at once, so
 * it counts as none.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

let nextRequestId = 0;

/** The time by which the item must start: the call's deadline or the item's timeout, the earlier. */
function deadlineOf(call: AnswerOneCall, received: ReceivedPredict): number | undefined {
  const deadline = call.getDeadline();
  let at = deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? deadline : Infinity;
  if (received.timeoutMs !== undefined) at = Math.min(at, now() + received.timeoutMs);
  return at - now() <= MAX_TIMER_MS ? at : undefined;
}

/**
 * Answers the item of `call` through `callback`. `protocol` labels the item in the metrics; the
 * caller counts the call itself.
 */
export function answerOne(call: AnswerOneCall, callback: sendUnaryData<PredictResponse>, deps: AnswerOneDeps, protocol: Protocol = 'sluice'): void {
  const received = call.request;
  const request = received.request;
  const model = received.refused?.model ?? request?.model ?? '';
  const id = request?.id ?? '';
  const logger = deps.logger.child({ request: ++nextRequestId, model });
  // The item's error becomes the call's status; errorResponse maps it (and logs it) once.
  const failItem = (err: unknown): void => {
    const response = errorResponse(id, model, 0, err, logger);
    deps.metrics.recordResponse(response, protocol);
    const error = response.result?.$case === 'error' ? response.result.value : { code: status.INTERNAL, message: 'internal error' };
    callback({ code: error.code, details: error.message, metadata: new Metadata() });
  };
  if (!deps.accepting()) {
    const { code, details } = toGrpcStatus(new SluiceError('UNAVAILABLE', 'server is shutting down'), logger);
    return callback({ code, details, metadata: new Metadata() });
  }
  if (received.refused !== undefined) return failItem(received.refused.error);
  if (request === undefined) return failItem(new SluiceError('INVALID_INPUT', `the message is not a valid PredictRequest: ${received.error ?? 'undecodable'}`));
  if (request.model === '') return failItem(new SluiceError('INVALID_INPUT', 'model is required'));
  let loaded: LoadedModel;
  let prepared;
  try {
    loaded = deps.repository.require(request.model);
    prepared = prepareInput(request, loaded, received, deps.inputLimits);
  } catch (err: unknown) {
    return failItem(err);
  }
  if (!deps.budget.tryReserve(received.bytes)) {
    const held = (deps.budget.used / 2 ** 20).toFixed(1);
    return failItem(new SluiceError('LIMIT_EXCEEDED', `the server holds ${held} MiB of items in flight, its budget (--max-inflight-bytes); retry later`));
  }
  const floatData = usesFloatData(request);
  const item = deps.router.submit(loaded, prepared, { returnTensors: request.returnTensors, deadline: deadlineOf(call, received) });
  call.once('cancelled', () => item.cancel());
  item.outcome
    .then((outcome) => {
      deps.budget.release(received.bytes);
      if (!outcome.ok) return failItem(outcome.error);
      const response = toResponse(id, loaded.name, 0, outcome, logger, floatData);
      deps.metrics.recordResponse(response, protocol);
      return callback(null, withReply(response, received.reply));
    })
    // Building the answer failed: the call still gets its one status (INTERNAL, details logged).
    .catch((err: unknown) => failItem(err));
  return undefined;
}
