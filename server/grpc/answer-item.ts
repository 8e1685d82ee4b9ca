/**
 * The path of one item that is answered on its own, shared by every way in that is not a stream:
 * `PredictOne`, the Open Inference Protocol's `ModelInfer` and the NATS JetStream bindings. The
 * item is checked, held in the byte budget, sent to the scheduler (or a pipeline), and answered
 * exactly once with a response: its prediction, or its error in-band. Each caller turns that
 * response into its own protocol's answer (a call status, a result message).
 */
import type { Logger } from 'pino';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ByteBudget } from '../admission/byte-budget.js';
import { SluiceError } from '../errors.js';
import type { Protocol, ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { errorResponse, toResponse, usesFloatData } from '../stream/response-builder.js';
import type { Thumbnail } from '../worker/task.js';
import { type ReceivedPredict, withReply } from './predict-codec.js';
import { type InputLimits, prepareInput } from './prepare-input.js';

/** What answering one item needs from the server. */
export interface AnswerItemDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  readonly metrics: ServerMetrics;
  /** The server's byte budget for items in flight. */
  readonly budget: ByteBudget;
  /** What one item may ask of a worker (`--max-image-pixels`). */
  readonly inputLimits: InputLimits;
  readonly logger: Logger;
}

/** Options of `answerItem`. */
export interface AnswerItemOptions {
  /** The protocol the item came in by, for the metrics. */
  readonly protocol: Protocol;
  /** Time (on `now()`'s clock) by which the item must start. */
  readonly deadline?: number | undefined;
  /** Cancels the item (withdrawn while it waits; a running item is answered CANCELLED). */
  readonly signal?: AbortSignal | undefined;
  /** Also make a JPEG of the image at most this wide, for watchers (0: no). */
  readonly thumbnailWidth?: number;
}

/** The answer to one item: its response (a prediction or an error) and its display image. */
export interface AnsweredItem {
  readonly response: PredictResponse;
  readonly thumbnail?: Thumbnail | undefined;
}

let nextRequestId = 0;

/**
 * Answers `received`. Never rejects: every way the item can end, including a failure to build its
 * answer, resolves with a response, counted once in the metrics.
 */
export async function answerItem(received: ReceivedPredict, deps: AnswerItemDeps, options: AnswerItemOptions): Promise<AnsweredItem> {
  const request = received.request;
  const model = received.refused?.model ?? request?.model ?? '';
  const id = request?.id ?? '';
  const logger = deps.logger.child({ request: ++nextRequestId, model });
  const answer = (response: PredictResponse, thumbnail?: Thumbnail): AnsweredItem => {
    deps.metrics.recordResponse(response, options.protocol);
    return { response: withReply(response, received.reply), thumbnail };
  };
  // errorResponse maps the error (and logs an unexpected one) once.
  const fail = (err: unknown): AnsweredItem => answer(errorResponse(id, model, 0, err, logger));
  if (received.refused !== undefined) return fail(received.refused.error);
  if (request === undefined) return fail(new SluiceError('INVALID_INPUT', `the message is not a valid PredictRequest: ${received.error ?? 'undecodable'}`));
  if (request.model === '') return fail(new SluiceError('INVALID_INPUT', 'model is required'));
  let loaded: LoadedModel;
  let prepared;
  try {
    loaded = deps.repository.require(request.model);
    prepared = prepareInput(request, loaded, received, deps.inputLimits);
  } catch (err: unknown) {
    return fail(err);
  }
  if (!deps.budget.tryReserve(received.bytes)) {
    const held = (deps.budget.used / 2 ** 20).toFixed(1);
    return fail(new SluiceError('LIMIT_EXCEEDED', `the server holds ${held} MiB of items in flight, its budget (--max-inflight-bytes); retry later`));
  }
  try {
    const floatData = usesFloatData(request);
    const item = deps.router.submit(loaded, prepared, {
      returnTensors: request.returnTensors,
      deadline: options.deadline,
      signal: options.signal,
      thumbnailWidth: options.thumbnailWidth ?? 0,
    });
    const outcome = await item.outcome;
    if (!outcome.ok) return fail(outcome.error);
    return answer(toResponse(id, loaded.name, 0, outcome, logger, floatData), outcome.thumbnail);
  } catch (err: unknown) {
    // Building the answer failed: the item still gets its one answer (INTERNAL, details logged).
    return fail(err);
  } finally {
    deps.budget.release(received.bytes);
  }
}
