/**
 * One model inside one worker thread: its onnxruntime session, its preprocessing and its
 * postprocessor. `run` takes a task's items, turns each into input tensors, stacks the ones that
 * can share a run into batches, runs them, splits the outputs back per item and finishes each
 * item with the crops and display image its task asked for (`finishItem`).
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Prediction } from '../../gen/ts/sluice/v1/inference_service.js';
import { Layout } from '../../gen/ts/sluice/v1/model_config.js';
import type { Tensor } from '../../gen/ts/sluice/v1/tensor.js';
import { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { SluiceError, toErrorData } from '../errors.js';
import { bytesPerElement, elementCount, fromOrtType, toOrtType } from '../tensor/data-types.js';
import { type TensorArray, bytesOf, typedView } from '../tensor/typed-view.js';
import type { InputArena } from './input-arena.js';
import type { ImageGeometry } from './preprocess/image-geometry.js';
import { finishItem } from './finish-item.js';
import { preprocessImage } from './preprocess/image-preprocess.js';
import { type ResolvedPreprocessing, resolvePreprocessing } from './preprocess/resolve-preprocessing.js';
import type { OutputTensor } from './postprocess/output-tensor.js';
import { postprocess } from './postprocess/postprocess.js';
import type { InferTask, ItemInput, ItemResult, ModelSpec } from './task.js';

/** Session settings shared by every model in a worker. */
export interface RunnerOptions {
  readonly intraOpThreads: number;
  readonly maxImagePixels: number;
  /** Where the worker's runs build their input tensors (one per worker: runs are sequential). */
  readonly arena: InputArena;
}

/**
 * One input of an item. Its bytes stay as they came (a client's tensor may sit at any offset in
 * its message, unaligned for its element type): a run of several items copies them straight into
 * the stacked tensor, and only an item run alone needs a typed view of its own.
 */
interface Feed {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/** An item turned into model inputs, waiting for its run. */
interface PreparedItem {
  readonly index: number;
  readonly feeds: ReadonlyMap<string, Feed>;
  /** Rows the item contributes along the batch dimension. */
  readonly rows: number;
  /** Shapes without the batch dimension: items with equal keys can share a run. */
  readonly key: string;
  readonly geometry: ImageGeometry | undefined;
  readonly inputWidth: number | undefined;
  readonly inputHeight: number | undefined;
  readonly preprocessUs: number;
}

const microsSince = (start: number): number => Math.round((performance.now() - start) * 1000);

export class ModelRunner {
  readonly #spec: ModelSpec;
  readonly #session: ort.InferenceSession;
  readonly #preprocessing: ResolvedPreprocessing | undefined;
  readonly #imageInput: string | undefined;
  readonly #maxBatch: number;
  readonly #maxImagePixels: number;
  readonly #arena: InputArena;
  readonly #outputNames: readonly string[];

  private constructor(spec: ModelSpec, session: ort.InferenceSession, options: RunnerOptions) {
    this.#spec = spec;
    this.#session = session;
    const pre = spec.config.preprocessing;
    this.#preprocessing = pre === undefined ? undefined : resolvePreprocessing(pre);
    this.#imageInput = pre === undefined ? undefined : pre.input || spec.config.inputs[0]?.name;
    this.#maxBatch = Math.max(1, spec.config.maxBatchSize);
    this.#maxImagePixels = options.maxImagePixels;
    this.#arena = options.arena;
    this.#outputNames = spec.config.outputs.map((o) => o.name);
  }

  /** Opens the model's session with spinning off, so that sessions share the cores politely. */
  static async open(spec: ModelSpec, options: RunnerOptions): Promise<ModelRunner> {
    const session = await ort.InferenceSession.create(spec.modelPath, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    return new ModelRunner(spec, session, options);
  }

  /**
   * Serves every item. Whatever fails for one item (its image, its crops, its postprocessing)
   * becomes that item's error result and the others go on; only a failing onnxruntime run fails
   * the items that shared it.
   */
  async run(task: Pick<InferTask, 'items' | 'returnTensors' | 'cropHeights' | 'thumbnailWidths'>): Promise<ItemResult[]> {
    const { items, returnTensors, cropHeights, thumbnailWidths } = task;
    const results: ItemResult[] = new Array<ItemResult>(items.length);
    const prepared: PreparedItem[] = [];
    for (let index = 0; index < items.length; index++) {
      const start = performance.now();
      try {
        prepared.push(await this.#prepare(index, items[index] as ItemInput, start));
      } catch (err: unknown) {
        results[index] = { ok: false, ...toErrorData(err), timings: { preprocessUs: microsSince(start), inferenceUs: 0, postprocessUs: 0 } };
      }
    }
    for (const batch of this.#batches(prepared)) {
      await this.#runBatch(batch, returnTensors, results);
      // Each item is finished before the next run, so that full-resolution pixels decoded for
      // its crops live only while they are cut, never across another item's run.
      for (const { index } of batch) {
        const input = items[index] as ItemInput;
        const result = results[index];
        if (input.kind !== 'image' || result?.ok !== true) continue;
        const extras = { cropHeight: cropHeights[index] ?? 0, thumbnailWidth: thumbnailWidths[index] ?? 0, maxImagePixels: this.#maxImagePixels };
        if (extras.cropHeight > 0 || extras.thumbnailWidth > 0) results[index] = await finishItem(result, input.image, extras);
      }
    }
    return results;
  }

  async #prepare(index: number, input: ItemInput, start: number): Promise<PreparedItem> {
    if (input.kind === 'tensors') {
      const feeds = new Map<string, Feed>();
      for (const t of input.tensors) feeds.set(t.name, { dtype: t.dtype, dims: t.shape, bytes: t.data });
      return this.#prepared(index, feeds, undefined, start);
    }
    if (this.#preprocessing === undefined || this.#imageInput === undefined) {
      throw new SluiceError('INVALID_INPUT', `model ${this.#spec.config.name} takes tensors, not images`);
    }
    const image = await preprocessImage(input.image, this.#preprocessing, { maxImagePixels: this.#maxImagePixels });
    const feeds = new Map<string, Feed>([[this.#imageInput, { dtype: DataType.DATA_TYPE_FLOAT32, dims: image.dims, bytes: bytesOf(image.data) }]]);
    return this.#prepared(index, feeds, image.geometry, start);
  }

  #prepared(index: number, feeds: Map<string, Feed>, geometry: ImageGeometry | undefined, start: number): PreparedItem {
    const first = feeds.values().next().value as Feed | undefined;
    const key = [...feeds].map(([name, f]) => `${name}:${f.dims.slice(1).join('x')}`).join('|');
    const imageDims = geometry === undefined ? undefined : first?.dims;
    const nhwc = this.#preprocessing?.layout === Layout.LAYOUT_NHWC;
    return {
      index,
      feeds,
      rows: first?.dims[0] ?? 1,
      key,
      geometry,
      inputWidth: imageDims === undefined ? undefined : imageDims[nhwc ? 2 : 3],
      inputHeight: imageDims === undefined ? undefined : imageDims[nhwc ? 1 : 2],
      preprocessUs: microsSince(start),
    };
  }

  /** Groups items with equal shapes into runs of at most `max_batch_size` rows, in task order. */
  *#batches(items: readonly PreparedItem[]): Generator<PreparedItem[]> {
    if (this.#maxBatch <= 1) {
      for (const item of items) yield [item];
      return;
    }
    const open = new Map<string, { items: PreparedItem[]; rows: number }>();
    for (const item of items) {
      const group = open.get(item.key);
      if (group !== undefined && group.rows + item.rows <= this.#maxBatch) {
        group.items.push(item);
        group.rows += item.rows;
        continue;
      }
      if (group !== undefined) yield group.items;
      open.set(item.key, { items: [item], rows: item.rows });
    }
    for (const group of open.values()) yield group.items;
  }

  async #runBatch(batch: readonly PreparedItem[], returnTensors: readonly boolean[], results: ItemResult[]): Promise<void> {
    const start = performance.now();
    let outputs: ort.InferenceSession.ReturnType;
    try {
      outputs = await this.#session.run(this.#stack(batch));
    } catch (err: unknown) {
      const failure = toErrorData(err);
      for (const item of batch) {
        results[item.index] = { ok: false, ...failure, timings: { preprocessUs: item.preprocessUs, inferenceUs: microsSince(start), postprocessUs: 0 } };
      }
      return;
    }
    const inferenceUs = microsSince(start);
    const split = batch.length > 1;
    let row = 0;
    for (const item of batch) {
      const postStart = performance.now();
      try {
        const views = new Map<string, OutputTensor>();
        const tensors: Tensor[] = [];
        // Postprocessors read one image's outputs; an item of several rows (a batch made by the
        // client) gets its tensors instead, to split and interpret itself.
        const postprocessor = item.rows > 1 ? undefined : this.#spec.config.postprocessor;
        const wantTensors = returnTensors[item.index] === true || postprocessor === undefined;
        for (const name of this.#outputNames) {
          const output = outputs[name];
          if (output === undefined) throw new SluiceError('INTERNAL', `model ${this.#spec.config.name} produced no output ${name}`);
          const dims = split ? [item.rows, ...output.dims.slice(1)] : [...output.dims];
          const perRow = split ? elementCount(output.dims.slice(1)) : 0;
          const data = output.data as TensorArray;
          const view = split ? (data.subarray(row * perRow, (row + item.rows) * perRow) as TensorArray) : data;
          if (postprocessor !== undefined && READABLE_TYPES.has(output.type)) views.set(name, { data: asFloat32(view), dims });
          if (wantTensors) tensors.push(toWireTensor(name, output.type, dims, view));
        }
        const prediction: Prediction = {
          ...Prediction.fromPartial({}),
          ...postprocess(postprocessor, views, {
            labels: this.#spec.labels,
            outputNames: this.#outputNames,
            geometry: item.geometry,
            inputWidth: item.inputWidth,
            inputHeight: item.inputHeight,
          }),
          outputs: tensors,
        };
        results[item.index] = {
          ok: true,
          prediction,
          batchSize: batch.length,
          timings: { preprocessUs: item.preprocessUs, inferenceUs, postprocessUs: microsSince(postStart) },
        };
      } catch (err: unknown) {
        results[item.index] = { ok: false, ...toErrorData(err), timings: { preprocessUs: item.preprocessUs, inferenceUs, postprocessUs: microsSince(postStart) } };
      }
      row += item.rows;
    }
    for (const output of Object.values(outputs)) output.dispose();
  }

  /** Input tensors for a run: each item's own arrays for one item, concatenated rows for more. */
  #stack(batch: readonly PreparedItem[]): Record<string, ort.Tensor> {
    this.#arena.reset();
    const feeds: Record<string, ort.Tensor> = {};
    const first = batch[0] as PreparedItem;
    for (const [name, feed] of first.feeds) {
      const width = bytesPerElement(feed.dtype);
      if (batch.length === 1 && feed.bytes.byteOffset % width === 0) {
        feeds[name] = new ort.Tensor(toOrtType(feed.dtype), typedView(feed.dtype, feed.bytes), feed.dims);
        continue;
      }
      // Several items stacked, or one item whose bytes are not aligned for their type: copied
      // once, into memory the worker reuses run after run.
      const rows = batch.reduce((sum, item) => sum + item.rows, 0);
      const dims = [rows, ...feed.dims.slice(1)];
      const stacked = this.#arena.take(feed.dtype, elementCount(dims), width);
      const target = bytesOf(stacked);
      let offset = 0;
      for (const item of batch) {
        const part = (item.feeds.get(name) as Feed).bytes;
        target.set(part, offset);
        offset += part.byteLength;
      }
      feeds[name] = new ort.Tensor(toOrtType(feed.dtype), stacked, dims);
    }
    return feeds;
  }
}

/** Output types a postprocessor can read as float32 (float16 and strings are not among them). */
const READABLE_TYPES: ReadonlySet<string> = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

/**
 * Postprocessors read float32. Other numeric outputs (class indices as int64, counts as int32)
 * are converted, which only detectors' small index outputs need; strings are left out.
 */
function asFloat32(data: TensorArray): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, Number);
  return Float32Array.from(data as ArrayLike<number>);
}

/** Copies one item's slice of an output into a fresh buffer that can be moved to the main thread. */
function toWireTensor(name: string, ortType: string, dims: readonly number[], data: TensorArray): Tensor {
  const dtype = fromOrtType(ortType);
  if (dtype === undefined) throw new SluiceError('INTERNAL', `output ${name} has type ${ortType}, which Sluice cannot carry`);
  const copy = bytesOf(data).slice();
  return { name, dtype, shape: dims.map(BigInt), rawData: Buffer.from(copy.buffer, 0, copy.byteLength), floatData: [] };
}
