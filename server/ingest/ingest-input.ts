/**
 * Reads one JetStream message into the item it asks for: its id, the `PredictRequest` (an encoded
 * image wrapped in one, or one sent as it is), and its body fetched from the object store when
 * the message only names it. A message that cannot become an item is still read: it comes back
 * `refused`, so that it is answered (and terminated) like any item that failed.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { PixelFormat } from '../../gen/ts/sluice/v1/image.js';
import type { PredictRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { type ReceivedPredict, decodePredictRequest } from '../grpc/predict-codec.js';
import type { BindingConfig } from './binding-config.js';
import { INGEST_HEADERS, inputKindOf } from './ingest-headers.js';

/** One input read from its message. */
export interface IngestInput {
  /** The input's id: `Sluice-Id`, else `Nats-Msg-Id`, else `<stream>:<sequence>`. */
  readonly id: string;
  /**
   * The `Nats-Msg-Id` of its result: the input message's own `Nats-Msg-Id`, else
   * `<stream>:<sequence>`. Both stay the same when the message is delivered again (so the
   * results stream drops a second result) and differ between messages, even when producers
   * reuse their ids (a camera's frame numbers start again with each run).
   */
  readonly resultId: string;
  readonly received: ReceivedPredict;
  /** The object holding the body, to delete once the input is settled. */
  readonly object: string | undefined;
}

/** What reading a message needs. */
export interface InputSources {
  /** The binding's object store, opened on first use. */
  readonly objects: () => Promise<ObjectStore>;
  /** Largest body accepted (`--max-message-bytes`). */
  readonly maxBytes: number;
}

function header(msg: JsMsg, name: string): string {
  return msg.headers?.get(name) ?? '';
}

function refused(error: SluiceError, model: string, bytes: number): ReceivedPredict {
  return { request: undefined, error: error.message, bytes, owned: undefined, refused: { error, model } };
}

/** The input's id, as its result will carry it. */
export function inputIdOf(msg: JsMsg): string {
  return header(msg, INGEST_HEADERS.id) || header(msg, INGEST_HEADERS.msgId) || `${msg.info.stream}:${msg.seq}`;
}

/** The de-duplication id of the input's result. */
export function resultIdOf(msg: JsMsg): string {
  return header(msg, INGEST_HEADERS.msgId) || `${msg.info.stream}:${msg.seq}`;
}

/** Fetches the body named by `Sluice-Object`, refusing one larger than `maxBytes`. */
async function objectBody(name: string, sources: InputSources): Promise<Uint8Array> {
  const store = await sources.objects();
  const info = await store.info(name);
  if (info === null || info.deleted) throw new SluiceError('INVALID_INPUT', `the object ${JSON.stringify(name)} named by ${INGEST_HEADERS.object} is not in the object store`);
  if (info.size > sources.maxBytes) throw new SluiceError('INVALID_INPUT', `the object ${JSON.stringify(name)} holds ${info.size} bytes, more than --max-message-bytes (${sources.maxBytes})`);
  const body = await store.getBlob(name);
  if (body === null) throw new SluiceError('INVALID_INPUT', `the object ${JSON.stringify(name)} named by ${INGEST_HEADERS.object} is not in the object store`);
  return body;
}

/** Reads `msg` for `binding`. Rejects only when the object store cannot be reached (a transient failure). */
export async function readInput(msg: JsMsg, binding: BindingConfig, sources: InputSources): Promise<IngestInput> {
  const id = inputIdOf(msg);
  const resultId = resultIdOf(msg);
  const model = header(msg, INGEST_HEADERS.model) || binding.model;
  const object = header(msg, INGEST_HEADERS.object) || undefined;
  let body = msg.data;
  if (object !== undefined) {
    try {
      body = await objectBody(object, sources);
    } catch (err: unknown) {
      if (err instanceof SluiceError) return { id, resultId, object, received: refused(err, model, 0) };
      throw err;
    }
  }
  const contentType = header(msg, INGEST_HEADERS.contentType);
  const kind = contentType === '' ? binding.input : inputKindOf(contentType);
  if (kind === undefined) {
    const error = new SluiceError('INVALID_INPUT', `Content-Type ${JSON.stringify(contentType)} is neither an image/* type nor a protobuf sluice.v1.PredictRequest`);
    return { id, resultId, object, received: refused(error, model, body.byteLength) };
  }
  if (body.byteLength === 0) return { id, resultId, object, received: refused(new SluiceError('INVALID_INPUT', 'the message has no body'), model, 0) };
  if (kind === 'predict-request') {
    const received = decodePredictRequest(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const request = received.request;
    if (request === undefined) return { id, resultId, object, received };
    // The message's headers and the binding fill in what the request leaves out.
    return { id, resultId, object, received: { ...received, request: { ...request, id: request.id || id, model: request.model || model } } };
  }
  const request: PredictRequest = {
    id,
    model,
    inputs: [],
    image: { data: Buffer.from(body.buffer, body.byteOffset, body.byteLength), width: 0, height: 0, pixelFormat: PixelFormat.PIXEL_FORMAT_UNSPECIFIED },
    returnTensors: false,
    streamOptions: undefined,
  };
  return { id, resultId, object, received: { request, error: undefined, bytes: body.byteLength, owned: undefined } };
}
