/**
 * Writes an input's result as a NATS message: the `PredictResponse` as JSON or protobuf, with
 * headers that tie it to its input. Published with the input message's own `Nats-Msg-Id` (or its
 * stream and sequence), so that a result published again after a redelivery is dropped by the
 * results stream.
 */
import { status } from '@grpc/grpc-js';
import type { JsMsg } from '@nats-io/jetstream';
import { type MsgHdrs, headers } from '@nats-io/transport-node';
import { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { BindingConfig } from './binding-config.js';
import { INGEST_CONTENT_TYPES, INGEST_HEADERS } from './ingest-headers.js';

/** A result ready to publish. */
export interface ResultMessage {
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
}

const encoder = new TextEncoder();

/** The gRPC status name of a response: `OK` for a prediction. */
export function statusName(response: PredictResponse): string {
  if (response.result?.$case !== 'error') return 'OK';
  return status[response.result.value.code] ?? String(response.result.value.code);
}

/** The result message of `response`, the answer to `msg` (whose input id is `id`). */
export function resultMessage(response: PredictResponse, id: string, msg: JsMsg, binding: BindingConfig): ResultMessage {
  const h = headers();
  h.set(INGEST_HEADERS.id, id);
  h.set(INGEST_HEADERS.status, statusName(response));
  h.set(INGEST_HEADERS.binding, binding.name);
  h.set(INGEST_HEADERS.inputSubject, msg.subject);
  h.set(INGEST_HEADERS.inputSequence, String(msg.seq));
  h.set(INGEST_HEADERS.deliveries, String(msg.info.deliveryCount));
  if (response.model !== '') h.set(INGEST_HEADERS.model, response.model);
  if (binding.format === 'protobuf') {
    h.set(INGEST_HEADERS.contentType, INGEST_CONTENT_TYPES.predictResponse);
    return { data: PredictResponse.encode(response).finish(), headers: h };
  }
  h.set(INGEST_HEADERS.contentType, INGEST_CONTENT_TYPES.json);
  return { data: encoder.encode(JSON.stringify(PredictResponse.toJSON(response))), headers: h };
}
