/**
 * A response as one JSON object for `--out` files: what `sluice predict` prints, with the frame's
 * position and its latency, and `id`, `frame`, `model`, `sequence` always present and first.
 */
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';

export function responseRecord(response: PredictResponse, frame: number | undefined, latencyMs: number): Record<string, unknown> {
  // Keys keep the position of their first appearance, so the fixed ones stay first.
  return {
    id: response.id,
    ...(frame === undefined ? {} : { frame }),
    model: response.model,
    sequence: response.sequence,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    ...(PredictResponse.toJSON(response) as Record<string, unknown>),
  };
}
