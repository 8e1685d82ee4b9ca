/**
 * Sluice's client library: the typed client and the protocol's message types.
 */
export { SluiceClient, isServiceError } from './sluice-client.js';
export type { CallOptions, PredictStreamOptions, ServingStatus, SluiceClientOptions } from './sluice-client.js';
export { imageRequest, readImageRequest } from './image-request.js';
export {
  DropPolicy,
  ModelState,
  PredictRequest,
  PredictResponse,
  ResponseOrder,
  type Prediction,
  type StreamOptions,
} from '../gen/ts/sluice/v1/inference_service.js';
export { PixelFormat } from '../gen/ts/sluice/v1/image.js';
export { DataType, type Tensor } from '../gen/ts/sluice/v1/tensor.js';
export { status as GrpcStatus } from '@grpc/grpc-js';
