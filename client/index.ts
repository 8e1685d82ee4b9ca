/**
 * Sluice's client library: the typed client and the protocol's message types.
 */
export { SluiceClient, isServiceError } from './sluice-client.js';
export { InferenceClient } from './inference-client.js';
export { channelCredentials, securityClientOptions, type ClientTlsOptions, type ConnectionSecurity } from './connection-security.js';
export { encodePredictRequest } from './predict-request-codec.js';
export { ModelFilesError, type ModelFilePaths, modelPushFiles } from './model-push-files.js';
export type { CallOptions, PredictStreamOptions, PushModelFile, PushModelOptions, ServingStatus, SluiceClientOptions } from './sluice-client.js';
export { frameRequest, imageRequest, readImageRequest } from './image-request.js';
export type { Frame, FrameEncoding, FrameSource, FramesOptions, Size } from './sources/frame.js';
export { openSource, type OpenSourceOptions } from './sources/open-source.js';
export { FfmpegSource, type FfmpegSourceOptions } from './sources/ffmpeg-source.js';
export { ImageFilesSource } from './sources/image-files-source.js';
export { SyntheticSource, type SyntheticOptions } from './sources/synthetic-source.js';
export { paceFrames, type PaceOptions } from './sources/pace-frames.js';
export { latestOnly, type LatestOnlyOptions } from './sources/latest-only.js';
export { prepareFrame, type PrepareFrameOptions } from './sources/prepare-frame.js';
export { resolveFfmpegPath } from './sources/ffmpeg-binary.js';
export { SourceError, type SourceErrorCode } from './sources/source-error.js';
export { confusionMatrix, type ConfusionMatrix, type LabelledPrediction } from './metrics/confusion-matrix.js';
export { rocCurve, type RocCurve, type RocPoint } from './metrics/roc-curve.js';
export { metricsAtThreshold, precisionRecallCurve, type PrCurve, type PrPoint, type ThresholdMetrics } from './metrics/precision-recall.js';
export type { ScoredSample } from './metrics/scored-sample.js';
export {
  ConfigOrigin,
  DropPolicy,
  ModelState,
  PredictRequest,
  PredictResponse,
  ResponseOrder,
  type ClassShare,
  type ConfigSource,
  type Detection,
  type Prediction,
  type Segmentation,
  type StreamOptions,
} from '../gen/ts/sluice/v1/inference_service.js';
export { PixelFormat } from '../gen/ts/sluice/v1/image.js';
export { DataType, type Tensor } from '../gen/ts/sluice/v1/tensor.js';
export { status as GrpcStatus } from '@grpc/grpc-js';
