/**
 * How the client writes `PredictRequest`s. The generated encoder copies a tensor's bytes once per
 * level of nesting into zero-filled buffers, and the generated gRPC serializer copies the result
 * once more: three copies of every frame before grpc-js makes its own. Here a request carrying
 * large payloads is written into one buffer of its exact size, each payload copied once: the
 * small fields are encoded by the generated code, and the payloads are appended after them as
 * their fields (protobuf readers take fields in any order).
 */
import { Image } from '../gen/ts/sluice/v1/image.js';
import { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import { Tensor } from '../gen/ts/sluice/v1/tensor.js';

/** Payloads below this go through the generated encoder: the splice saves nothing on them. */
const SPLICE_THRESHOLD_BYTES = 64 * 1024;

// Length-delimited (wire type 2) tags of the fields written here.
const TAG_REQUEST_INPUTS = (3 << 3) | 2;
const TAG_REQUEST_IMAGE = (4 << 3) | 2;
const TAG_TENSOR_RAW_DATA = (4 << 3) | 2;
const TAG_IMAGE_DATA = (1 << 3) | 2;

const EMPTY = new Uint8Array(0);

/** Bytes of `value` as a protobuf varint. */
function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let at = offset;
  let v = value;
  while (v >= 0x80) {
    target[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  target[at++] = v;
  return at;
}

/** A nested message as its encoded fields plus one payload appended as field `tag`. */
interface Spliced {
  readonly head: Uint8Array;
  readonly tag: number;
  readonly payload: Uint8Array;
  /** Encoded size of the whole nested message. */
  readonly size: number;
}

function spliced(head: Uint8Array, tag: number, payload: Uint8Array): Spliced {
  const payloadField = payload.byteLength === 0 ? 0 : 1 + varintSize(payload.byteLength) + payload.byteLength;
  return { head, tag, payload, size: head.byteLength + payloadField };
}

function writeSpliced(target: Uint8Array, offset: number, outerTag: number, part: Spliced): number {
  let at = offset;
  target[at++] = outerTag;
  at = writeVarint(target, at, part.size);
  target.set(part.head, at);
  at += part.head.byteLength;
  if (part.payload.byteLength > 0) {
    target[at++] = part.tag;
    at = writeVarint(target, at, part.payload.byteLength);
    target.set(part.payload, at);
    at += part.payload.byteLength;
  }
  return at;
}

/** Encodes `request` for the wire, as `PredictRequest.encode` would read it back. */
export function encodePredictRequest(request: PredictRequest): Buffer {
  let payloadBytes = request.image?.data.byteLength ?? 0;
  for (const tensor of request.inputs) payloadBytes += tensor.rawData.byteLength;
  if (payloadBytes < SPLICE_THRESHOLD_BYTES) {
    const bytes = PredictRequest.encode(request).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const head = PredictRequest.encode({ ...request, inputs: [], image: undefined }).finish();
  const tensors = request.inputs.map((t) => spliced(Tensor.encode({ ...t, rawData: EMPTY }).finish(), TAG_TENSOR_RAW_DATA, t.rawData));
  const image = request.image === undefined ? undefined : spliced(Image.encode({ ...request.image, data: EMPTY }).finish(), TAG_IMAGE_DATA, request.image.data);
  let total = head.byteLength;
  for (const part of image === undefined ? tensors : [...tensors, image]) total += 1 + varintSize(part.size) + part.size;
  // Every byte is written below.
  const out = Buffer.allocUnsafe(total);
  out.set(head, 0);
  let at = head.byteLength;
  for (const part of tensors) at = writeSpliced(out, at, TAG_REQUEST_INPUTS, part);
  if (image !== undefined) at = writeSpliced(out, at, TAG_REQUEST_IMAGE, image);
  return out;
}
