/**
 * Builds `PredictResponse`s from scheduler outcomes and from errors raised before scheduling.
 */
import type { Logger } from 'pino';
import { type PredictResponse, type Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { ItemOutcome } from '../scheduler/work-item.js';

const NO_TIMINGS: Timings = { queueUs: 0, preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: 0 };

/** The response to one item, carrying its prediction or its error in-band. */
export function toResponse(id: string, model: string, sequence: number, outcome: ItemOutcome, logger: Logger): PredictResponse {
  if (outcome.ok) {
    return {
      id,
      model,
      sequence,
      result: { $case: 'prediction', value: outcome.prediction },
      timings: outcome.timings,
      batchSize: outcome.batchSize,
    };
  }
  return errorResponse(id, model, sequence, outcome.error, logger, outcome.timings);
}

/** An in-band error response; unknown errors are logged and reported as INTERNAL. */
export function errorResponse(id: string, model: string, sequence: number, err: unknown, logger: Logger, timings: Timings = NO_TIMINGS): PredictResponse {
  const { code, details } = toGrpcStatus(err, logger);
  return { id, model, sequence, result: { $case: 'error', value: { code, message: details } }, timings, batchSize: 0 };
}
