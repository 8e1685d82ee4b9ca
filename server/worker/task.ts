/**
 * The data that crosses the boundary between the main thread and inference workers. Everything
 * here survives the structured clone: plain objects, typed arrays and ArrayBuffers (moved, not
 * copied, where the sender owns them).
 */
import type { ErrorData } from '../errors.js';
import type { Prediction } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ModelConfig } from '../../gen/ts/sluice/v1/model_config.js';
import type { PixelFormat } from '../../gen/ts/sluice/v1/image.js';
import type { DataType } from '../../gen/ts/sluice/v1/tensor.js';

/** A dense tensor whose elements live in `data` (little-endian, row-major). */
export interface TensorData {
  readonly name: string;
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** An image as the client sent it: encoded bytes, or raw pixels with their geometry. */
export interface ImageData {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: PixelFormat;
  /** Turn the image upside down before anything else (set by pipelines, not by clients). */
  readonly rotate180?: boolean;
}

/** One item of a task: tensors that feed the model directly, or an image to preprocess. */
export type ItemInput =
  | { readonly kind: 'tensors'; readonly tensors: readonly TensorData[] }
  | { readonly kind: 'image'; readonly image: ImageData };

/** What a worker needs to load one model. */
export interface ModelSpec {
  /** The repository's configuration, completed with the ONNX file's inputs and outputs. */
  readonly config: ModelConfig;
  /** Absolute path of the ONNX file. */
  readonly modelPath: string;
  /** Labels resolved from `labels` or `labels_file`. */
  readonly labels: readonly string[];
}

/** Passed to every worker when the pool starts. */
export interface WorkerInit {
  readonly models: readonly ModelSpec[];
  /** onnxruntime intra-op threads per session. */
  readonly intraOpThreads: number;
  /** Largest image, in pixels, a worker will decode. */
  readonly maxImagePixels: number;
}

/** A run of one model over one or more items. */
export interface InferTask {
  readonly model: string;
  readonly items: readonly ItemInput[];
  /** Per item: also return the output tensors when the model has a postprocessor. */
  readonly returnTensors: readonly boolean[];
  /**
   * Per item: cut each detection out of the original image at this height (0: do not), for
   * pipelines that read what a detector found.
   */
  readonly cropHeights: readonly number[];
  /**
   * Per item: also return a JPEG of the image at most this wide, for watchers (0: do not). An item
   * whose JPEG cannot be made is answered without one.
   */
  readonly thumbnailWidths: readonly number[];
}

/** A small JPEG of an item's image, for display. */
export interface Thumbnail {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Microsecond timings measured inside the worker. */
export interface WorkerTimings {
  readonly preprocessUs: number;
  readonly inferenceUs: number;
  readonly postprocessUs: number;
}

export type ItemResult =
  | {
      readonly ok: true;
      readonly prediction: Prediction;
      readonly timings: WorkerTimings;
      readonly batchSize: number;
      /** RGB8 crops of the detections, in detection order, when the task asked for them. */
      readonly crops?: readonly ImageData[];
      /** The display image, when the task asked for one and it could be made. */
      readonly thumbnail?: Thumbnail;
    }
  | ({ readonly ok: false; readonly timings: WorkerTimings } & ErrorData);

export interface InferTaskResult {
  /** `performance.timeOrigin + performance.now()` when the worker picked the task up. */
  readonly startedAt: number;
  /** One result per item, in task order. */
  readonly items: readonly ItemResult[];
}

/**
 * Buffers below this size cross the thread boundary by copy, both ways: moving a buffer has a
 * fixed cost that copying a small one does not.
 */
export const MOVE_THRESHOLD_BYTES = 16 * 1024;

export const WORKER_READY = 'sluice:worker-ready';
export const WORKER_FAILED = 'sluice:worker-failed';

/** Posted by a worker once its models are loaded, or when loading failed. */
export type WorkerStatusMessage =
  | { readonly type: typeof WORKER_READY; readonly threadId: number }
  | { readonly type: typeof WORKER_FAILED; readonly threadId: number; readonly message: string };
