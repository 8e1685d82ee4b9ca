/**
 * One image's outcome in `sluice batch`, flattened from its response: what the result table (CSV
 * or JSONL) and the metrics are made of.
 */
import { status } from '@grpc/grpc-js';
import type { PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';

export interface BatchRecord {
  readonly path: string;
  /** The true label, when labels were given and this image has one. */
  readonly label: string | undefined;
  /** Top class (classification models); the text, or how many boxes or points, otherwise. */
  readonly predicted: string | undefined;
  /** Score of the top class. */
  readonly score: number | undefined;
  /** Score of the positive class (binary evaluation), 0 when it is not among the top-k. */
  readonly positiveScore: number | undefined;
  /** gRPC status name of an error answer. */
  readonly errorCode: string | undefined;
  readonly error: string | undefined;
  readonly latencyMs: number;
}

export function batchRecord(path: string, response: PredictResponse, latencyMs: number, label: string | undefined, positive: string | undefined): BatchRecord {
  const base = { path, label, latencyMs, predicted: undefined, score: undefined, positiveScore: undefined, errorCode: undefined, error: undefined };
  const result = response.result;
  if (result?.$case === 'error') return { ...base, errorCode: status[result.value.code] ?? String(result.value.code), error: result.value.message };
  if (result?.$case !== 'prediction') return { ...base, errorCode: 'DROPPED', error: 'dropped for a fresher item' };
  const p = result.value;
  const top = p.classes[0];
  if (top !== undefined) {
    const positiveScore = positive === undefined ? undefined : (p.classes.find((c) => c.label === positive)?.score ?? 0);
    return { ...base, predicted: top.label, score: top.score, positiveScore };
  }
  if (p.text !== '') return { ...base, predicted: p.text, score: p.textScore };
  if (p.detections.length > 0) return { ...base, predicted: `${p.detections.length} detections` };
  if (p.points.length > 0) return { ...base, predicted: `${p.points.length} points` };
  return { ...base, predicted: p.outputs.length > 0 ? 'tensors' : 'nothing' };
}

/** Header of the CSV result table. */
export const CSV_HEADER = ['path', 'label', 'predicted', 'score', 'positive_score', 'correct', 'error_code', 'error', 'latency_ms'] as const;

/** The record as CSV fields, in `CSV_HEADER` order. */
export function csvFields(r: BatchRecord): (string | number | undefined)[] {
  const correct = r.label === undefined || r.predicted === undefined || r.score === undefined ? undefined : r.label === r.predicted ? 'true' : 'false';
  return [r.path, r.label, r.predicted, r.score, r.positiveScore, correct, r.errorCode, r.error, Math.round(r.latencyMs * 1000) / 1000];
}
