/**
 * `Predict` with requests serialised before the run. The generated stub encodes each request on
 * the load generator's main thread through a growing buffer and three whole-message copies, which
 * for a 48 MiB frame takes longer than the server spends on it, so that a benchmark of the
 * server would measure its client. Here the image field is encoded once and each request is that
 * part behind a few bytes of its own (protobuf parsers merge fields in any order), so a write
 * costs one copy.
 */
import { type ClientDuplexStream, type ServiceDefinition, credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { InferenceServiceService, PredictRequest, type PredictResponse } from '../gen/ts/sluice/v1/inference_service.js';
import { CLIENT_MAX_MESSAGE_BYTES } from './sluice-load.js';

/** A client of `Predict` only, whose writes are already-encoded `PredictRequest`s. */
export interface PreEncodedClient {
  predict(): ClientDuplexStream<Buffer, PredictResponse>;
  close(): void;
}

const identity = (buffer: Buffer): Buffer => buffer;

const SERVICE: ServiceDefinition = {
  predict: { ...InferenceServiceService.predict, requestSerialize: identity, requestDeserialize: identity },
};

/** A client on a connection of its own (its own subchannel pool). */
export function createPreEncodedClient(address: string): PreEncodedClient {
  const Client = makeGenericClientConstructor(SERVICE, 'InferenceService');
  return new Client(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as PreEncodedClient;
}

function encode(fields: Partial<PredictRequest>): Uint8Array {
  return PredictRequest.encode(PredictRequest.fromPartial(fields)).finish();
}

/**
 * Requests that share one large part (typically `image`), encoded once, and differ in the small
 * fields `head(id)` gives (`id`, `model`, `stream_options`).
 */
export function preEncodedRequests(shared: Partial<PredictRequest>, head: (id: string) => Partial<PredictRequest>): (id: string) => Buffer {
  const body = encode(shared);
  return (id) => {
    const front = encode(head(id));
    return Buffer.concat([front, body], front.byteLength + body.byteLength);
  };
}
