/**
 * How a postprocessed model's structured results (classes, detections, text, points) become
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
 * | peaks (heatmaps)               | `points`         | FP32     | [N, 2] | x, y of each peak, in image pixels                           |
 * |                                | `point_scores`   | FP32     | [N]    | each peak's score                                            |
 * |                                | `point_channels` | INT64    | [N]    | each peak's heatmap channel                                  |
 *
 * Polygons, labels, orientation and the image's size are in `result` only. The model's own output
 * tensors (e.g. tiny-cnn's `probs`) may be asked for by name too; a result name wins over a
 * tensor of the same name.
 */
import type { ModelMetadataResponse_TensorMetadata as TensorMetadata } from '../../gen/ts/inference/grpc_service.js';
import { Prediction } from '../../gen/ts/sluice/v1/inference_service.js';
import type { LoadedModel } from '../repository/load-model.js';
import { BYTES } from './tensor-datatype.js';

/** What kind of structured results a model answers with. */
export type ResultKind = 'classification' | 'textDetection' | 'ocr' | 'ctcDecode' | 'peaks';

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

/** The outputs of each kind, in the order they are returned. */
const OUTPUTS: Readonly<Record<ResultKind, readonly TensorMetadata[]>> = {
  classification: [RESULT, spec('class_ids', 'INT64', -1n), spec('class_scores', 'FP32', -1n), spec('class_labels', BYTES, -1n)],
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
    if (names === undefined || names.has(name)) tensors.push(resultOutput(name, prediction));
  }
  return tensors;
}

function resultOutput(name: string, p: Prediction): OutputTensor {
  const n = (items: readonly unknown[]): bigint => BigInt(items.length);
  switch (name) {
    case 'result':
      return bytesTensor(name, [JSON.stringify(Prediction.toJSON({ ...p, outputs: [] }))], [1n]);
    case 'class_ids':
      return { name, datatype: 'INT64', shape: [n(p.classes)], raw: bytesOf(BigInt64Array.from(p.classes, (c) => BigInt(c.index))) };
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

function bytesOf(values: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function floatTensor(name: string, values: readonly number[], shape: bigint[]): OutputTensor {
  return { name, datatype: 'FP32', shape, raw: bytesOf(Float32Array.from(values)) };
}

/** BYTES elements as raw contents: each one's length (4 bytes, little-endian), then its UTF-8 bytes. */
function bytesTensor(name: string, strings: readonly string[], shape: bigint[]): OutputTensor {
  const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
  const raw = Buffer.allocUnsafe(encoded.reduce((sum, e) => sum + 4 + e.byteLength, 0));
  let offset = 0;
  for (const element of encoded) {
    offset = raw.writeUInt32LE(element.byteLength, offset);
    offset += element.copy(raw, offset);
  }
  return { name, datatype: BYTES, shape, raw };
}
