/**
 * A result's JSON with every default filled in, which is what the rest of the viewer reads.
 */
import type { PredictResponseJson, SegmentationJson } from '../protocol/predict-response-json.js';
import { readPngPalette } from './png-palette.js';

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
  /** A detector's class (0 for regions of text, which have none). */
  readonly classIndex: number;
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

export interface ViewClassShare {
  readonly index: number;
  readonly label: string;
  /** Fraction of the image's pixels, 0..1. */
  readonly share: number;
  /** The class's colour in the mask, as CSS (transparent for the background); '' when unknown. */
  readonly color: string;
}

export interface ViewSegmentation {
  /** The mask: a palette PNG of the image's size (empty when the server sent none). */
  readonly maskPng: Uint8Array<ArrayBuffer>;
  readonly width: number;
  readonly height: number;
  /** Classes present, largest share first. */
  readonly classes: readonly ViewClassShare[];
}

export interface ViewPrediction {
  readonly classes: readonly ViewClass[];
  readonly detections: readonly ViewDetection[];
  readonly points: readonly ViewKeypoint[];
  readonly text: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** A segmentation model's mask and class shares; undefined for other models. */
  readonly segmentation: ViewSegmentation | undefined;
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

/** Bytes of a base64 string (proto3 JSON's form of bytes, which may be URL-safe); empty for anything that is not base64. */
function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return new Uint8Array(0);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function readSegmentation(s: SegmentationJson | undefined): ViewSegmentation | undefined {
  if (s === undefined) return undefined;
  const maskPng = base64Bytes(s.maskPng ?? '');
  const colors = readPngPalette(maskPng);
  return {
    maskPng,
    width: n(s.width),
    height: n(s.height),
    classes: (s.classes ?? []).map((c) => ({ index: n(c.index), label: c.label ?? String(n(c.index)), share: n(c.share), color: colors[n(c.index)] ?? '' })),
  };
}

/** `json` with every default filled in; a segmentation's base64 mask becomes bytes. */
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
              classIndex: n(d.classIndex),
            })),
            points: (p.points ?? []).map((k) => ({ x: n(k.x), y: n(k.y), score: n(k.score), label: k.label ?? '' })),
            text: p.text ?? '',
            imageWidth: n(p.imageWidth),
            imageHeight: n(p.imageHeight),
            segmentation: readSegmentation(p.segmentation),
          },
    error: json.error === undefined ? undefined : { code: n(json.error.code), message: json.error.message ?? '' },
    timings: { queueUs: n(t.queueUs), preprocessUs: n(t.preprocessUs), inferenceUs: n(t.inferenceUs), postprocessUs: n(t.postprocessUs), totalUs: n(t.totalUs) },
    batchSize: n(json.batchSize),
  };
}
