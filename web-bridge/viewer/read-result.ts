/**
 * A result's JSON with every default filled in, which is what the rest of the viewer reads.
 */
import type { PredictResponseJson } from '../protocol/predict-response-json.js';

export interface ViewPoint {
  readonly x: number;
  readonly y: number;
}

export interface ViewDetection {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
  readonly polygon: readonly ViewPoint[];
  readonly score: number;
  readonly label: string;
  readonly text: string;
}

export interface ViewKeypoint extends ViewPoint {
  readonly score: number;
  readonly label: string;
}

export interface ViewClass {
  readonly label: string;
  readonly index: number;
  readonly score: number;
}

export interface ViewPrediction {
  readonly classes: readonly ViewClass[];
  readonly detections: readonly ViewDetection[];
  readonly points: readonly ViewKeypoint[];
  readonly text: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
}

export interface ViewTimings {
  readonly queueUs: number;
  readonly preprocessUs: number;
  readonly inferenceUs: number;
  readonly postprocessUs: number;
  readonly totalUs: number;
}

export interface ViewResult {
  readonly id: string;
  readonly model: string;
  readonly sequence: number;
  readonly kind: 'prediction' | 'error' | 'dropped';
  readonly prediction: ViewPrediction | undefined;
  readonly error: { readonly code: number; readonly message: string } | undefined;
  readonly timings: ViewTimings;
  readonly batchSize: number;
}

const n = (value: number | undefined): number => value ?? 0;

export function readResult(json: PredictResponseJson): ViewResult {
  const p = json.prediction;
  const t = json.timings ?? {};
  return {
    id: json.id ?? '',
    model: json.model ?? '',
    sequence: n(json.sequence),
    kind: json.error !== undefined ? 'error' : json.dropped !== undefined ? 'dropped' : 'prediction',
    prediction:
      p === undefined
        ? undefined
        : {
            classes: (p.classes ?? []).map((c) => ({ label: c.label ?? String(n(c.index)), index: n(c.index), score: n(c.score) })),
            detections: (p.detections ?? []).map((d) => ({
              xMin: n(d.xMin),
              yMin: n(d.yMin),
              xMax: n(d.xMax),
              yMax: n(d.yMax),
              polygon: (d.polygon ?? []).map((q) => ({ x: n(q.x), y: n(q.y) })),
              score: n(d.score),
              label: d.label ?? '',
              text: d.text ?? '',
            })),
            points: (p.points ?? []).map((k) => ({ x: n(k.x), y: n(k.y), score: n(k.score), label: k.label ?? '' })),
            text: p.text ?? '',
            imageWidth: n(p.imageWidth),
            imageHeight: n(p.imageHeight),
          },
    error: json.error === undefined ? undefined : { code: n(json.error.code), message: json.error.message ?? '' },
    timings: { queueUs: n(t.queueUs), preprocessUs: n(t.preprocessUs), inferenceUs: n(t.inferenceUs), postprocessUs: n(t.postprocessUs), totalUs: n(t.totalUs) },
    batchSize: n(json.batchSize),
  };
}
