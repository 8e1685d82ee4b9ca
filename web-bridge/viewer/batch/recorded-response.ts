/**
 * A result's JSON read back into the shape `sluice batch` derives its records and counts from
 * (`RecordedResponse`), with ts-proto's defaults for what proto3 JSON leaves out, so that
 * `batchRecord` and `StreamStats` give the page what they give the command line.
 */
import type { RecordedResponse } from '../../../client/cli/batch/batch-record.js';
import type { PredictResponseJson, PredictionJson } from '../../protocol/predict-response-json.js';

/** Tensors are not in `PredictionJson` (the viewer draws none), but a response to a model without a postprocessor carries them. */
type PredictionWithOutputs = PredictionJson & { readonly outputs?: readonly unknown[] };

export function recordedResponse(json: PredictResponseJson): RecordedResponse {
  // The oneof's JSON has exactly one of these; this order is readResult's.
  if (json.error !== undefined) return { result: { $case: 'error', value: { code: json.error.code ?? 0, message: json.error.message ?? '' } } };
  if (json.dropped !== undefined) return { result: { $case: 'dropped' } };
  const p: PredictionWithOutputs | undefined = json.prediction;
  if (p === undefined) return { result: undefined };
  return {
    result: {
      $case: 'prediction',
      value: {
        classes: (p.classes ?? []).map((c) => ({ label: c.label ?? '', score: c.score ?? 0 })),
        text: p.text ?? '',
        textScore: p.textScore ?? 0,
        detections: p.detections ?? [],
        points: p.points ?? [],
        outputs: p.outputs ?? [],
      },
    },
  };
}
