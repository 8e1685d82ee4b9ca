/**
 * A grpc-js client for `Predict` and `PredictOne` that sends and receives bytes as they are: no
 * encoder between the test and the wire, so that tests can send messages no encoder would write.
 */
import {
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ClientUnaryCall,
  type Metadata,
  type requestCallback,
  credentials,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';

/** `Predict` and `PredictOne` on raw bytes. */
export interface RawInferenceClient extends Client {
  predict(options?: CallOptions): ClientDuplexStream<Buffer, Buffer>;
  predictOne(request: Buffer, metadata: Metadata, options: CallOptions, callback: requestCallback<Buffer>): ClientUnaryCall;
}

const identity = (bytes: Buffer): Buffer => bytes;

const RAW_INFERENCE_SERVICE = {
  predict: {
    path: '/sluice.v1.InferenceService/Predict',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  predictOne: {
    path: '/sluice.v1.InferenceService/PredictOne',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const RawClientConstructor = makeGenericClientConstructor(RAW_INFERENCE_SERVICE, 'RawInferenceService');

/**
 * A raw client of the server at `address` (insecure channel); the caller closes it. It has a
 * connection of its own: grpc-js otherwise shares one between channels with equal options, and a
 * connection that hostile input breaks would take other clients' calls down with it.
 */
export function createRawInferenceClient(address: string): RawInferenceClient {
  return new RawClientConstructor(address, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  }) as unknown as RawInferenceClient;
}
