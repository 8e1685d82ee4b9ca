/**
 * The unary calls `PredictOne` and the Open Inference Protocol's `ModelInfer`: the call's item
 * takes the shared path (`answerItem`) and is answered once, with its response or with its error
 * as the call's status. What differs between the two calls is their codec, which has already read
 * the message into a `ReceivedPredict` and writes the response this hands back.
 */
import { Metadata, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import type { Protocol } from '../metrics/server-metrics.js';
import { now } from '../scheduler/work-item.js';
import { type AnswerItemDeps, answerItem } from './answer-item.js';
import type { ReceivedPredict } from './predict-codec.js';
import { toGrpcStatus } from './to-grpc-status.js';

/** What answering one call needs from the server. */
export interface AnswerOneDeps extends AnswerItemDeps {
  /** False once the server has started shutting down. */
  readonly accepting: () => boolean;
}

/** A unary call whose request its codec read into a `ReceivedPredict`. */
export type AnswerOneCall = ServerUnaryCall<ReceivedPredict, PredictResponse>;

/**
 * Longest wait a timer can express (setTimeout's limit): a later deadline would fire at once, so
 * it counts as none.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The time by which the item must start: the call's deadline or the item's timeout, the earlier. */
function deadlineOf(call: AnswerOneCall, received: ReceivedPredict): number | undefined {
  const deadline = call.getDeadline();
  let at = deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? deadline : Infinity;
  if (received.timeoutMs !== undefined) at = Math.min(at, now() + received.timeoutMs);
  return at - now() <= MAX_TIMER_MS ? at : undefined;
}

/**
 * Answers the item of `call` through `callback`. `protocol` labels the item in the metrics; the
 * caller counts the call itself.
 */
export function answerOne(call: AnswerOneCall, callback: sendUnaryData<PredictResponse>, deps: AnswerOneDeps, protocol: Protocol = 'sluice'): void {
  if (!deps.accepting()) {
    const { code, details } = toGrpcStatus(new SluiceError('UNAVAILABLE', 'server is shutting down'), deps.logger);
    return callback({ code, details, metadata: new Metadata() });
  }
  const cancelled = new AbortController();
  call.once('cancelled', () => cancelled.abort());
  void answerItem(call.request, deps, { protocol, deadline: deadlineOf(call, call.request), signal: cancelled.signal }).then(({ response }) => {
    if (response.result?.$case !== 'error') return callback(null, response);
    const { code, message } = response.result.value;
    return callback({ code, details: message, metadata: new Metadata() });
  });
  return undefined;
}
