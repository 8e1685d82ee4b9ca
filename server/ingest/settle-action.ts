/**
 * What becomes of an input once its item is answered. A prediction is published and acked. An
 * input that can never succeed (it is corrupt, names no model, has the wrong shape) has its error
 * published, to the results and the dead-letter subject, and is terminated. A refusal that may
 * pass later (the server busy, a deadline passed, a shutdown, a worker failure) is nak'd with a
 * delay, never lost: until its last allowed delivery, which publishes the error as final.
 */
import { status } from '@grpc/grpc-js';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';

/** `ack`: publish the result, then acknowledge. `term`: publish the error (and dead-letter it), then terminate. `retry`: nak with a delay. */
export type SettleAction = 'ack' | 'term' | 'retry';

/** Statuses that say "not now" rather than "never". */
const TRANSIENT = new Set<number>([status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED, status.UNAVAILABLE, status.CANCELLED, status.ABORTED, status.INTERNAL]);

/**
 * The action for `response` on the input's `delivery`-th delivery, of at most `maxDeliver`
 * (-1: no limit).
 */
export function settleAction(response: PredictResponse, delivery: number, maxDeliver: number): SettleAction {
  if (response.result?.$case !== 'error') return 'ack';
  if (!TRANSIENT.has(response.result.value.code)) return 'term';
  const last = maxDeliver > 0 && delivery >= maxDeliver;
  return last ? 'term' : 'retry';
}
