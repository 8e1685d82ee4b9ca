/**
 * One image's outcome in `sluice batch`, flattened from its response: what the result table (CSV
 * or JSONL) and the metrics are made of. Free of Node and grpc-js: the bridge's batch page bundles
 * it to derive the same records from the responses it receives as JSON.
 */
import { grpcStatusName } from '../../metrics/grpc-status-name.js';

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

/**
 * What a record is made of: the parts of a `PredictResponse` it reads, so that a response read
 * from its JSON form (the bridge's batch page) makes the same record.
 */
export interface RecordedResponse {
  readonly result?:
    | { readonly $case: 'prediction'; readonly value: RecordedPrediction }
    | { readonly $case: 'error'; readonly value: { readonly code: number; readonly message: string } }
    | { readonly $case: 'dropped' }
    | undefined;
}

/** The parts of a `Prediction` a record reads (of the lists, only the classes' labels and scores, and how long the others are). */
export interface RecordedPrediction {
  readonly classes: readonly { readonly label: string; readonly score: number }[];
  readonly text: string;
  readonly textScore: number;
  readonly detections: readonly unknown[];
  readonly points: readonly unknown[];
  readonly outputs: readonly unknown[];
}

export function batchRecord(path: string, response: RecordedResponse, latencyMs: number, label: string | undefined, positive: string | undefined): BatchRecord {
  const base = { path, label, latencyMs, predicted: undefined, score: undefined, positiveScore: undefined, errorCode: undefined, error: undefined };
  const result = response.result;
  if (result?.$case === 'error') return { ...base, errorCode: grpcStatusName(result.value.code), error: result.value.message };
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

/**
 * The record's fields that lead each JSON line of the results (path, label, prediction, scores),
 * before the response itself: shared by `sluice batch --out` and the batch page's export.
 */
export function jsonLineHead(r: BatchRecord): Record<string, unknown> {
  return {
    path: r.path,
    ...(r.label === undefined ? {} : { label: r.label }),
    predicted: r.predicted,
    score: r.score,
    ...(r.positiveScore === undefined ? {} : { positiveScore: r.positiveScore }),
  };
}
