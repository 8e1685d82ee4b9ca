/**
 * Reads the inputs and outputs an ONNX file declares, for the repository's checks. Symbolic
 * dimensions (`batch`, `p2o.DynamicDimension.0`) become -1.
 *
 * onnxruntime opens a model synchronously in native code, for as long as the file takes to parse
 * (hundreds of milliseconds for a large one): on the main thread that would stall every stream
 * while a model is loaded at run time. So the file is opened in a reader thread of its own,
 * started on demand and gone once idle; the main thread never loads onnxruntime at all.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';

/** Declared inputs and outputs of a model file. */
export interface OnnxSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

const READER_FILE = new URL(`./onnx-signature-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
/**
 * How long the reader thread stays after its last read: long enough for the reads of a start-up
 * or a batch of reloads to share it. Piscina only ends it while it is idle, never inside
 * onnxruntime (stopping a thread there aborts the process).
 */
const READER_IDLE_MS = 2_000;

let reader: Piscina<string, OnnxSignature> | undefined;

function readerPool(): Piscina<string, OnnxSignature> {
  if (reader === undefined) {
    reader = new Piscina<string, OnnxSignature>({
      filename: READER_FILE,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: READER_IDLE_MS,
      atomics: 'disabled',
      recordTiming: false,
    });
    // A reader that fails outside a read leaves nobody waiting: the next read starts a new one.
    // Without a listener, piscina's 'error' event would take the process down.
    reader.on('error', () => undefined);
  }
  return reader;
}

/**
 * Opens `modelPath` in the reader thread and reads its signature. Rejects with onnxruntime's
 * error when the file cannot be opened; its message names the path, so it is for the log.
 */
export function readOnnxSignature(modelPath: string): Promise<OnnxSignature> {
  return readerPool().run(modelPath);
}
