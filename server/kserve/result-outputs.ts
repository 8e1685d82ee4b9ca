/**
 * How a postprocessed model's structured results (classes, detections, masks, text, points) become
 * output tensors an Open Inference Protocol client can read. The names are stable: clients ask
 * for them in `outputs`, and `ModelMetadata` lists them.
 *
 * | Model kind (postprocessor)     | Output           | Datatype | Shape  | Holds                                                        |
 * |--------------------------------|------------------|----------|--------|--------------------------------------------------------------|
 * | every kind below               | `result`         | BYTES    | [1]    | the prediction as JSON: `sluice.v1.Prediction` in proto3 JSON (lowerCamelCase, zero values left out, no `outputs`) |
 * | classification                 | `class_ids`      | INT64    | [K]    | class indices of the top-k, best first                       |
 * |                                | `class_scores`   | FP32     | [K]    | their scores                                                 |
 * |                                | `class_labels`   | BYTES    | [K]    | their labels ('' when the model has none)                    |
 * | text_detection                 | `boxes`          | FP32     | [N, 4] | x_min, y_min, x_max, y_max of each region, in image pixels   |
 * |                                | `scores`         | FP32     | [N]    | each region's score                                          |
 * | ocr pipeline (ensemble)        | `boxes`, `scores`| as above | as above | the lines found                                             |
 * |                                | `texts`          | BYTES    | [N]    | each line's text, UTF-8                                      |
 * |                                | `text_scores`    | FP32     | [N]    | mean per-character confidence of each line                   |
 * | ctc_decode (a recogniser)      | `text`           | BYTES    | [1]    | the text read, UTF-8                                         |
 * |                                | `text_score`     | FP32     | [1]    | its mean per-character confidence                            |
 * | detection                      | `boxes`          | FP32     | [N, 4] | x_min, y_min, x_max, y_max of each object, in image pixels   |
 * |                                | `scores`         | FP32     | [N]    | each object's score                                          |
 * |                                | `class_ids`      | INT64    | [N]    | each object's class index                                    |
 * |                                | `labels`         | BYTES    | [N]    | each object's label                                          |
 * | peaks (heatmaps)               | `points`         | FP32     | [N, 2] | x, y of each peak, in image pixels                           |
 * |                                | `point_scores`   | FP32     | [N]    | each peak's score                                            |
 * |                                | `point_channels` | INT64    | [N]    | each peak's heatmap channel                                  |
 * | segmentation                   | `mask_png`       | BYTES    | [1]    | the class mask: an 8-bit palette PNG of the image's size whose pixel values are class indices |
 * |                                | `class_ids`      | INT64    | [C]    | the classes present, largest share first                     |
 * |                                | `class_shares`   | FP32     | [C]    | the fraction of the image's pixels each covers               |
 *
 * `class_ids` means top-k classes for classification, one class per object for detection and
 * the classes present for segmentation: what a name holds depends on the model's kind.
 * Polygons, labels of regions and peaks, orientation and the image's size are in `result` only
 * (for segmentation `result` carries the mask too, base64 in `segmentation.maskPng`). The model's
 * own output tensors (e.g. tiny-cnn's `probs`) may be asked for by name too; a result name wins
 * over a tensor of the same name.
 */
import type { ModelMetadataResponse_TensorMetadata as TensorMetadata } from '../../gen/ts/inference/grpc_service.js';
import { Prediction } from '../../gen/ts/sluice/v1/inference_service.js';
import type { LoadedModel } from '../repository/load-model.js';
import { BYTES } from './tensor-datatype.js';

/** What kind of structured results a model answers with. */
export type ResultKind = 'classification' | 'detection' | 'segmentation' | 'textDetection' | 'ocr' | 'ctcDecode' | 'peaks';

/** One output tensor of an answer: its description and its elements, laid out as raw contents. */
export interface OutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: bigint[];
  readonly raw: Uint8Array;
}

const spec = (name: string, datatype: string, ...shape: bigint[]): TensorMetadata => ({ name, datatype, shape });
const RESULT = spec('result', BYTES, 1n);
const BOXES = [spec('boxes', 'FP32', -1n, 4n), spec('scores', 'FP32', -1n)];
const CLASS_IDS = spec('class_ids', 'INT64', -1n);

/** The outputs of each kind, in the order they are returned. */
const OUTPUTS: Readonly<Record<ResultKind, readonly TensorMetadata[]>> = {
  classification: [RESULT, CLASS_IDS, spec('class_scores', 'FP32', -1n), spec('class_labels', BYTES, -1n)],
  detection: [RESULT, ...BOXES, CLASS_IDS, spec('labels', BYTES, -1n)],
  segmentation: [RESULT, spec('mask_png', BYTES, 1n), spec('class_shares', 'FP32', -1n), CLASS_IDS],
  textDetection: [RESULT, ...BOXES],
  ocr: [RESULT, ...BOXES, spec('texts', BYTES, -1n), spec('text_scores', 'FP32', -1n)],
  ctcDecode: [RESULT, spec('text', BYTES, 1n), spec('text_score', 'FP32', 1n)],
  peaks: [RESULT, spec('points', 'FP32', -1n, 2n), spec('point_scores', 'FP32', -1n), spec('point_channels', 'INT64', -1n)],
};

/** The kind of results `model` answers with; undefined when its answers are tensors. */
export function resultKindOf(model: LoadedModel): ResultKind | undefined {
  if (model.pipeline !== undefined) return 'ocr';
  return model.config.postprocessor?.kind?.$case;
}

/** The outputs a kind of result is returned as. */
export function resultOutputs(kind: ResultKind): readonly TensorMetadata[] {
  return OUTPUTS[kind];
}

/** The outputs of `kind` named in `names` (every one when `names` is undefined), made from `prediction`. */
export function toResultOutputs(kind: ResultKind, prediction: Prediction, names: ReadonlySet<string> | undefined): OutputTensor[] {
  const tensors: OutputTensor[] = [];
  for (const { name } of OUTPUTS[kind]) {
    if (names === undefined || names.has(name)) tensors.push(resultOutput(kind, name, prediction));
  }
  return tensors;
}

function resultOutput(kind: ResultKind, name: string, p: Prediction): OutputTensor {
  const n = (items: readonly unknown[]): bigint => BigInt(items.length);
  switch (name) {
    case 'result':
      return bytesTensor(name, [JSON.stringify(Prediction.toJSON({ ...p, outputs: [] }))], [1n]);
    case 'class_ids':
      return classIds(kind, p);
    case 'labels':
      return bytesTensor(name, p.detections.map((d) => d.label), [n(p.detections)]);
    case 'mask_png':
      return bytesTensor(name, [p.segmentation?.maskPng ?? new Uint8Array(0)], [1n]);
    case 'class_shares': {
      const shares = p.segmentation?.classes ?? [];
      return floatTensor(name, shares.map((c) => c.share), [n(shares)]);
    }
    case 'class_scores':
      return floatTensor(name, p.classes.map((c) => c.score), [n(p.classes)]);
    case 'class_labels':
      return bytesTensor(name, p.classes.map((c) => c.label), [n(p.classes)]);
    case 'boxes':
      return floatTensor(name, p.detections.flatMap((d) => [d.xMin, d.yMin, d.xMax, d.yMax]), [n(p.detections), 4n]);
    case 'scores':
      return floatTensor(name, p.detections.map((d) => d.score), [n(p.detections)]);
    case 'texts':
      return bytesTensor(name, p.detections.map((d) => d.text), [n(p.detections)]);
    case 'text_scores':
      return floatTensor(name, p.detections.map((d) => d.textScore), [n(p.detections)]);
    case 'text':
      return bytesTensor(name, [p.text], [1n]);
    case 'text_score':
      return floatTensor(name, [p.textScore], [1n]);
    case 'points':
      return floatTensor(name, p.points.flatMap((k) => [k.x, k.y]), [n(p.points), 2n]);
    case 'point_scores':
      return floatTensor(name, p.points.map((k) => k.score), [n(p.points)]);
    case 'point_channels':
      return { name, datatype: 'INT64', shape: [n(p.points)], raw: bytesOf(BigInt64Array.from(p.points, (k) => BigInt(k.channel))) };
    default:
      throw new RangeError(`no result output ${name}`);
  }
}

/** `class_ids` of each kind: the top-k (classification), each object's class (detection), the classes present (segmentation). */
function classIds(kind: ResultKind, p: Prediction): OutputTensor {
  const ids =
    kind === 'detection'
      ? p.detections.map((d) => d.classIndex)
      : kind === 'segmentation'
        ? (p.segmentation?.classes ?? []).map((c) => c.index)
        : p.classes.map((c) => c.index);
  return { name: 'class_ids', datatype: 'INT64', shape: [BigInt(ids.length)], raw: bytesOf(BigInt64Array.from(ids, BigInt)) };
}

function bytesOf(values: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function floatTensor(name: string, values: readonly number[], shape: bigint[]): OutputTensor {
  return { name, datatype: 'FP32', shape, raw: bytesOf(Float32Array.from(values)) };
}

/** BYTES elements as raw contents: each one's length (4 bytes, little-endian), then its bytes (strings as UTF-8). */
function bytesTensor(name: string, elements: readonly (string | Uint8Array)[], shape: bigint[]): OutputTensor {
  const encoded = elements.map((e) => (typeof e === 'string' ? Buffer.from(e, 'utf8') : Buffer.from(e.buffer, e.byteOffset, e.byteLength)));
  const raw = Buffer.allocUnsafe(encoded.reduce((sum, e) => sum + 4 + e.byteLength, 0));
  let offset = 0;
  for (const element of encoded) {
    offset = raw.writeUInt32LE(element.byteLength, offset);
    offset += element.copy(raw, offset);
  }
  return { name, datatype: BYTES, shape, raw };
}
