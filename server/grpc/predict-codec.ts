/**
 * How `Predict` and `PredictOne` messages are read and written on the server: the generated
 * (de)serializers, with what the request path needs around them.
 *
 * Reading: the decoded request keeps views into the received bytes (no copy), the message's size
 * is known for the byte budget, and when the message has a buffer of its own (grpc-js assembles
 * every message of 4 KiB or more into a fresh buffer) that buffer can move to a worker as it is.
 * A message that does not decode is answered on its item, not by ending the stream.
 *
 * Writing: the encoded response is wrapped, not copied, for grpc-js.
 */
import { PredictRequest, PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { SluiceError } from '../errors.js';

/**
 * One received `PredictRequest`, or why it could not be decoded. Other protocols' codecs (the
 * Open Inference Protocol's) read their messages into this too, so that their items take the same
 * path; the optional fields are theirs.
 */
export interface ReceivedPredict {
  /** The request; undefined when the bytes are not a valid PredictRequest. */
  readonly request: PredictRequest | undefined;
  /** Why decoding failed. */
  readonly error: string | undefined;
  /** Size of the message on the wire. */
  readonly bytes: number;
  /** The buffer holding the message when nothing else shares it, so that it may be moved. */
  readonly owned: ArrayBuffer | undefined;
  /**
   * Why the message cannot become an item, when its codec already knows (a KServe request that
   * does not fit its model): the item is answered with this error. `model` names the model for
   * metrics: a model of the repository, or '' when none is known.
   */
  readonly refused?: { readonly error: SluiceError; readonly model: string };
  /**
   * Milliseconds the item may wait, from when it is read, before it must start (a KServe
   * request's `timeout`); with a stream's or a call's own limit, the earlier one applies.
   */
  readonly timeoutMs?: number;
  /**
   * What the response encoder needs from the request (its protocol's id, requested outputs):
   * attached to the item's response with `withReply`, whatever the answer.
   */
  readonly reply?: object;
}

/**
 * Key under which a response carries its request's `reply` to the response encoder. A symbol,
 * so that protobuf encoders, JSON and the metrics never see it.
 */
const REPLY: unique symbol = Symbol('sluice.reply');

type RepliedResponse = PredictResponse & { [REPLY]?: object };

/** Attaches `reply` (if any) to `response`, which must be a response of its own (never shared). */
export function withReply(response: PredictResponse, reply: object | undefined): PredictResponse {
  if (reply !== undefined) (response as RepliedResponse)[REPLY] = reply;
  return response;
}

/** The reply context `withReply` attached to `response`. */
export function replyOf(response: PredictResponse): object | undefined {
  return (response as RepliedResponse)[REPLY];
}

// grpc-js allocates each received message (with its 5-byte frame header) with Buffer.concat, which
// takes memory from Node's shared pool below half the pool size, and a buffer of its own above.
const SHARED_POOL_LIMIT = Buffer.poolSize >>> 1;
const FRAME_HEADER = 5;

/**
 * The buffer behind a received message when the message alone fills it (so that it may move to a
 * worker), undefined when it shares memory with other data.
 */
export function ownedBuffer(message: Buffer): ArrayBuffer | undefined {
  const buffer = message.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < SHARED_POOL_LIMIT) return undefined;
  const own = message.byteOffset <= FRAME_HEADER && message.byteOffset + message.byteLength === buffer.byteLength;
  return own ? buffer : undefined;
}

/** Decodes a request message, keeping views into `message`. Never throws. */
export function decodePredictRequest(message: Buffer): ReceivedPredict {
  try {
    return { request: PredictRequest.decode(message), error: undefined, bytes: message.byteLength, owned: ownedBuffer(message) };
  } catch (err: unknown) {
    const error = err instanceof Error ? err.message : String(err);
    return { request: undefined, error, bytes: message.byteLength, owned: undefined };
  }
}

/** Encodes a response for grpc-js without copying the encoded bytes again. */
export function encodePredictResponse(response: PredictResponse): Buffer {
  const bytes = PredictResponse.encode(response).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
