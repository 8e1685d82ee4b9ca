/**
 * The three models the benchmark drives, the tensors it feeds them and how much work each
 * scenario does. Every model is fed tensors (never images), so decoding and resizing are not
 * measured; the tensors are deterministic pseudo-random float32 values.
 */
import type { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import { DataType } from '../gen/ts/sluice/v1/tensor.js';

/** Short names used in tables and scenario ids. */
export type ModelLabel = 'tiny' | 'cls' | 'det';

/** One input of a model, with the batch dimension set to 1. */
export interface BenchInput {
  readonly name: string;
  readonly shape: readonly number[];
}

/** How much work one scenario does: it stops at `maxItems` or after `seconds`, whichever comes first. */
export interface Budget {
  readonly seconds: number;
  readonly maxItems: number;
  /** Items run before measuring, so that sessions, JIT and connections are warm. */
  readonly warmupItems: number;
}

/** A model as the benchmark uses it. */
export interface BenchModel {
  readonly label: ModelLabel;
  /** Folder name in `models/`, and the name the server serves it under. */
  readonly name: string;
  /** What the scenarios show about it. */
  readonly role: string;
  readonly inputs: readonly BenchInput[];
  /** Batch sizes the raw onnxruntime loop runs. */
  readonly rawBatches: readonly number[];
  /** `stream_options.max_in_flight` of the saturating stream. */
  readonly streamWindow: number;
  readonly budgets: {
    readonly raw: Budget;
    readonly echo: Budget;
    readonly one: Budget;
    readonly stream: Budget;
    /** `maxItems` is ignored: the live producer runs for `seconds` at its pace. */
    readonly live: Budget;
  };
}

const timed = (seconds: number, warmupItems: number): Budget => ({ seconds, maxItems: Number.MAX_SAFE_INTEGER, warmupItems });
const counted = (maxItems: number, warmupItems: number, seconds = 30): Budget => ({ seconds, maxItems, warmupItems });

/** The benchmarked models, smallest first. */
export const BENCH_MODELS: readonly BenchModel[] = [
  {
    label: 'tiny',
    name: 'add',
    role: 'overhead dominates',
    inputs: [
      { name: 'a', shape: [1, 4] },
      { name: 'b', shape: [1, 4] },
    ],
    rawBatches: [1, 8],
    streamWindow: 32,
    budgets: { raw: timed(2, 500), echo: timed(3, 500), one: timed(3, 300), stream: timed(4, 500), live: timed(4, 0) },
  },
  {
    label: 'cls',
    name: 'ppocr-cls',
    role: '~1 ms model, 110 KB requests',
    inputs: [{ name: 'x', shape: [1, 3, 48, 192] }],
    rawBatches: [1, 8],
    streamWindow: 32,
    budgets: { raw: timed(2, 50), echo: timed(3, 100), one: timed(3, 50), stream: timed(4, 100), live: timed(4, 0) },
  },
  {
    label: 'det',
    name: 'ppocr-det',
    role: '~115 ms model, 4.9 MB requests',
    inputs: [{ name: 'x', shape: [1, 3, 640, 640] }],
    rawBatches: [1],
    // Two workers need only a few items each to stay busy; a larger window only holds more 4.9 MB frames.
    streamWindow: 8,
    budgets: { raw: counted(40, 2), echo: counted(40, 4), one: counted(40, 2), stream: counted(40, 2), live: timed(8, 0) },
  },
];

/** Scales every budget's duration and item cap, for a quick trial run. */
export function scaleBudgets(model: BenchModel, factor: number): BenchModel {
  const scale = (b: Budget): Budget => ({
    seconds: b.seconds * factor,
    maxItems: b.maxItems === Number.MAX_SAFE_INTEGER ? b.maxItems : Math.max(4, Math.round(b.maxItems * factor)),
    warmupItems: Math.ceil(b.warmupItems * factor),
  });
  const { raw, echo, one, stream, live } = model.budgets;
  return { ...model, budgets: { raw: scale(raw), echo: scale(echo), one: scale(one), stream: scale(stream), live: scale(live) } };
}

/** Elements of a shape with its batch dimension replaced by `batch`. */
export function batchedShape(shape: readonly number[], batch: number): number[] {
  return [batch, ...shape.slice(1)];
}

/**
 * Deterministic float32 values in [-1, 1) (mulberry32), so that every process feeds the same
 * data without shipping it around.
 */
export function benchValues(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return values;
}

/** The tensor values of one input at a batch size, as the server and the raw loop both get them. */
export function inputValues(input: BenchInput, batch: number, index: number): Float32Array {
  const shape = batchedShape(input.shape, batch);
  return benchValues(shape.reduce((a, b) => a * b, 1), 1 + index);
}

/**
 * Builds requests for a model: the tensor payloads are made once and shared by every request
 * (the client serialises each one anyway), only the id changes.
 */
export function requestFactory(model: Pick<BenchModel, 'name' | 'inputs'>): (id: string) => PredictRequest {
  const inputs = model.inputs.map((input, index) => {
    const values = inputValues(input, 1, index);
    return {
      name: input.name,
      dtype: DataType.DATA_TYPE_FLOAT32,
      shape: input.shape.map(BigInt),
      rawData: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
      floatData: [],
    };
  });
  return (id) => ({ id, model: model.name, inputs, image: undefined, returnTensors: false, streamOptions: undefined });
}
