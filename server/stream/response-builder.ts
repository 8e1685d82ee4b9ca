/**
 * Builds `PredictResponse`s from scheduler outcomes and from errors raised before scheduling.
 */
import type { Logger } from 'pino';
import { type PredictRequest, type PredictResponse, type Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import { DataType, type Tensor } from '../../gen/ts/sluice/v1/tensor.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { ItemOutcome } from '../scheduler/work-item.js';

const NO_TIMINGS: Timings = { queueUs: 0, preprocessUs: 0, inferenceUs: 0, postprocessUs: 0, totalUs: 0 };

/**
 * The response to one item, carrying its prediction or its error in-band. `floatData` mirrors a
 * request written with `float_data` (by hand, for grpcurl): its float32 outputs come back the same
 * readable way instead of as base64 bytes.
 */
export function toResponse(id: string, model: string, sequence: number, outcome: ItemOutcome, logger: Logger, floatData = false): PredictResponse {
  if (outcome.ok) {
    const prediction = floatData ? { ...outcome.prediction, outputs: outcome.prediction.outputs.map(toFloatData) } : outcome.prediction;
    return {
      id,
      model,
      sequence,
      result: { $case: 'prediction', value: prediction },
      timings: outcome.timings,
      batchSize: outcome.batchSize,
    };
  }
  return errorResponse(id, model, sequence, outcome.error, logger, outcome.timings);
}

/** The answer to an item a live stream dropped for a fresher one. */
export function droppedResponse(id: string, model: string, sequence: number): PredictResponse {
  return { id, model, sequence, result: { $case: 'dropped', value: {} }, timings: NO_TIMINGS, batchSize: 0 };
}

/** An in-band error response; unknown errors are logged and reported as INTERNAL. */
export function errorResponse(id: string, model: string, sequence: number, err: unknown, logger: Logger, timings: Timings = NO_TIMINGS): PredictResponse {
  const { code, details } = toGrpcStatus(err, logger);
  return { id, model, sequence, result: { $case: 'error', value: { code, message: details } }, timings, batchSize: 0 };
}

/** True when a request wrote its tensors as `float_data`, so wants its outputs the same way. */
export function usesFloatData(request: PredictRequest): boolean {
  return request.inputs.some((t) => t.floatData.length > 0);
}

function toFloatData(tensor: Tensor): Tensor {
  if (tensor.dtype !== DataType.DATA_TYPE_FLOAT32) return tensor;
  const bytes = new Uint8Array(tensor.rawData); // a copy, aligned for the float view
  return { ...tensor, rawData: Buffer.alloc(0), floatData: [...new Float32Array(bytes.buffer, 0, bytes.byteLength / 4)] };
}
