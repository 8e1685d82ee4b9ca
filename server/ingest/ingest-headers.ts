/**
 * The message contract of the NATS JetStream bindings, shared by the server and the CLI's
 * `publish` and `results` commands: the headers an input may carry and a result carries, and the
 * content types of bodies.
 *
 * An input's body is an encoded image (JPEG, PNG, WebP) or a `sluice.v1.PredictRequest`; its
 * `Content-Type` says which, or the binding's `input` setting when it has none. A frame too large
 * for the server's `max_payload` travels in the JetStream object store: the message is then empty
 * and names the object in `Sluice-Object`.
 */

/** Header names. */
export const INGEST_HEADERS = Object.freeze({
  /** The input's id, echoed in its result and the result's `Nats-Msg-Id`. */
  id: 'Sluice-Id',
  /** JetStream's de-duplication id; an input's id when `Sluice-Id` is absent. */
  msgId: 'Nats-Msg-Id',
  /** The model to run, over the binding's own. */
  model: 'Sluice-Model',
  /** The object (in the binding's object store bucket) that holds the input's body. */
  object: 'Sluice-Object',
  contentType: 'Content-Type',
  /** On a result: its gRPC status name (`OK`, `INVALID_ARGUMENT`, ...). */
  status: 'Sluice-Status',
  /** On a result: the binding that made it. */
  binding: 'Sluice-Binding',
  /** On a result: the input's subject and stream sequence. */
  inputSubject: 'Sluice-Input-Subject',
  inputSequence: 'Sluice-Input-Sequence',
  /** On a result: how many times the input had been delivered. */
  deliveries: 'Sluice-Deliveries',
});

/** Content types of bodies. */
export const INGEST_CONTENT_TYPES = Object.freeze({
  predictRequest: 'application/x-protobuf; messageType=sluice.v1.PredictRequest',
  predictResponse: 'application/x-protobuf; messageType=sluice.v1.PredictResponse',
  json: 'application/json',
});

/** How a binding reads a body that has no `Content-Type`. */
export type IngestInputKind = 'image' | 'predict-request';

/** How a binding writes results. */
export type ResultFormat = 'json' | 'protobuf';

/**
 * The kind of body a `Content-Type` names: `image` for `image/*`, `predict-request` for a
 * protobuf `PredictRequest`, undefined for anything else.
 */
export function inputKindOf(contentType: string): IngestInputKind | undefined {
  const type = contentType.trim().toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('application/x-protobuf') || type.startsWith('application/protobuf')) {
    const messageType = /messagetype=([\w.]+)/.exec(type)?.[1];
    return messageType === undefined || messageType === 'sluice.v1.predictrequest' ? 'predict-request' : undefined;
  }
  return undefined;
}
