/**
 * The JSON form of a `PredictResponse` as the bridge sends it (ts-proto's `PredictResponse.toJSON`):
 * camelCase names, enums as strings, bytes as base64 strings, and fields at their default value
 * (0, '', empty lists) left out, hence every field is optional. Shared by the bridge and the
 * viewer, so no Node or DOM types.
 */

export interface PointJson {
  readonly x?: number;
  readonly y?: number;
}

export interface DetectionJson {
  readonly xMin?: number;
  readonly yMin?: number;
  readonly xMax?: number;
  readonly yMax?: number;
  /** Corners clockwise from top-left, in original image pixels. */
  readonly polygon?: readonly PointJson[];
  readonly score?: number;
  readonly label?: string;
  readonly text?: string;
  readonly textScore?: number;
  /** The object's class, for a detector; `label` is its label. */
  readonly classIndex?: number;
}

export interface ClassificationJson {
  readonly index?: number;
  readonly label?: string;
  readonly score?: number;
}

export interface KeypointJson {
  readonly x?: number;
  readonly y?: number;
  readonly score?: number;
  readonly channel?: number;
  readonly label?: string;
}

export interface ClassShareJson {
  readonly index?: number;
  readonly label?: string;
  /** Fraction of the image's pixels, 0..1. */
  readonly share?: number;
}

export interface SegmentationJson {
  /**
   * The class mask, base64: an 8-bit palette PNG of the image's size whose pixel values are class
   * indices, the background class transparent. Some tens of kilobytes for a 1080p image: masks
   * are runs of one class, which PNG compresses well.
   */
  readonly maskPng?: string;
  readonly width?: number;
  readonly height?: number;
  /** Classes present, largest share first. */
  readonly classes?: readonly ClassShareJson[];
}

export interface PredictionJson {
  readonly classes?: readonly ClassificationJson[];
  readonly detections?: readonly DetectionJson[];
  readonly points?: readonly KeypointJson[];
  readonly text?: string;
  readonly textScore?: number;
  /** Size of the image the item carried; every coordinate refers to it. */
  readonly imageWidth?: number;
  readonly imageHeight?: number;
  readonly segmentation?: SegmentationJson;
}

export interface TimingsJson {
  readonly queueUs?: number;
  readonly preprocessUs?: number;
  readonly inferenceUs?: number;
  readonly postprocessUs?: number;
  readonly totalUs?: number;
}

export interface PredictResponseJson {
  readonly id?: string;
  readonly model?: string;
  readonly sequence?: number;
  /** Exactly one of `prediction`, `error` and `dropped` is present. */
  readonly prediction?: PredictionJson;
  readonly error?: { readonly code?: number; readonly message?: string };
  readonly dropped?: Record<string, never>;
  readonly timings?: TimingsJson;
  readonly batchSize?: number;
}
