/**
 * The gRPC stub of `sluice.v1.InferenceService` the client library, the bridge and the benchmark
 * use: the generated one, writing `PredictRequest`s with `encodePredictRequest`.
 */
import { type ServiceDefinition, makeGenericClientConstructor } from '@grpc/grpc-js';
import { InferenceServiceClient, InferenceServiceService } from '../gen/ts/sluice/v1/inference_service.js';
import { encodePredictRequest } from './predict-request-codec.js';

const definition: ServiceDefinition = {
  ...InferenceServiceService,
  predict: { ...InferenceServiceService.predict, requestSerialize: encodePredictRequest },
  predictOne: { ...InferenceServiceService.predictOne, requestSerialize: encodePredictRequest },
};

/** Constructs stubs exactly like the generated `InferenceServiceClient`. */
export const InferenceClient = makeGenericClientConstructor(definition, 'sluice.v1.InferenceService') as unknown as typeof InferenceServiceClient;
