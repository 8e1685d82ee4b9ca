/**
 * The checks on a `PushModel` header, made before any byte is written: a model name that is also
 * a safe folder name, plain file names of the kinds a model folder holds, well-formed digests,
 * and a total size within the server's limit (`--max-model-bytes`).
 */
import type { PushModelHeader } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { MODEL_CONFIG_FILE } from '../repository/load-model.js';

/** Longest model name a push may give. */
export const MAX_MODEL_NAME_LENGTH = 128;
/** Most files one push may bring: one ONNX file, a config, label files. */
export const MAX_PUSH_FILES = 32;

const MODEL_NAME = /^[A-Za-z0-9][\w.-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const LABELS_FILE = /\.(txt|names)$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** One file of a checked push. */
export interface PushedFile {
  /** Plain file name in the model folder. */
  readonly name: string;
  readonly size: number;
  /** SHA-256 as 64 lowercase hex digits. */
  readonly sha256: string;
}

/** A header that passed its checks. */
export interface PushPlan {
  readonly name: string;
  readonly files: readonly PushedFile[];
  readonly replace: boolean;
  /** All files together, in bytes. */
  readonly bytes: number;
}

const invalid = (message: string): SluiceError => new SluiceError('INVALID_INPUT', `PushModel header: ${message}`);

/** Checks `header`; INVALID_INPUT naming the field, or LIMIT_EXCEEDED when the files are too large. */
export function checkPushHeader(header: PushModelHeader, maxModelBytes: number): PushPlan {
  const { name } = header;
  if (name === '') throw invalid('name is required');
  if (name.length > MAX_MODEL_NAME_LENGTH) throw invalid(`name has ${name.length} characters; at most ${MAX_MODEL_NAME_LENGTH} are allowed`);
  if (!MODEL_NAME.test(name)) throw invalid(`name ${JSON.stringify(name)} must start with a letter or digit and hold only letters, digits, '_', '-' and '.'`);
  if (header.files.length > MAX_PUSH_FILES) throw invalid(`files lists ${header.files.length} files; at most ${MAX_PUSH_FILES} are allowed`);

  const seen = new Set<string>();
  let onnxFiles = 0;
  let bytes = 0;
  const files = header.files.map((file, i): PushedFile => {
    const where = `files[${i}]`;
    checkFileName(file.name, where);
    if (seen.has(file.name)) throw invalid(`${where}.name ${JSON.stringify(file.name)} is listed twice`);
    seen.add(file.name);
    if (file.name.endsWith('.onnx')) onnxFiles++;
    else if (file.name !== MODEL_CONFIG_FILE && !LABELS_FILE.test(file.name)) {
      throw invalid(`${where}.name ${JSON.stringify(file.name)} is not a file a model folder holds (*.onnx, ${MODEL_CONFIG_FILE}, labels as *.txt or *.names)`);
    }
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw invalid(`${where}.size is not a byte count`);
    if (!SHA256.test(file.sha256)) throw invalid(`${where}.sha256 must be 64 lowercase hex digits`);
    bytes += file.size;
    return { name: file.name, size: file.size, sha256: file.sha256 };
  });
  if (onnxFiles !== 1) throw invalid(`files must hold exactly one ONNX file (*.onnx), not ${onnxFiles}`);
  if (bytes > maxModelBytes) {
    throw new SluiceError('LIMIT_EXCEEDED', `the model's files are ${bytes} bytes, more than the server accepts (--max-model-bytes ${maxModelBytes})`);
  }
  return { name, files, replace: header.replace, bytes };
}

/** A plain file name: no folders, no way out of the model folder, not hidden. */
function checkFileName(name: string, where: string): void {
  if (name === '') throw invalid(`${where}.name is required`);
  if (name.includes('/') || name.includes('\\') || name.includes('..') || name.startsWith('.') || CONTROL.test(name) || Buffer.byteLength(name) > 255) {
    throw invalid(`${where}.name ${JSON.stringify(name)} must be a plain file name (no folders, no '..', not starting with '.')`);
  }
}
