/**
 * Temporary model repositories holding only the benchmarked models: either as the repository
 * configures them, or with batching turned off (`max_batch_size: 1`). Each model folder gets its
 * own `model.yaml`; the ONNX file and any other file are symlinked, not copied.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from './child-process.js';

/** A model repository on disk; `remove()` deletes it. */
export interface TempModelsDir {
  readonly path: string;
  remove(): void;
}

/** Options of `createModelsDir`. */
export interface ModelsDirOptions {
  /** Folder names under the repository's `models/`. */
  readonly models: readonly string[];
  /** False writes `max_batch_size: 1` into every model.yaml (and removes `dynamic_batching`). */
  readonly batching: boolean;
}

/** Assembles a repository with the given models. */
export function createModelsDir(options: ModelsDirOptions): TempModelsDir {
  const root = mkdtempSync(join(tmpdir(), `sluice-bench-${options.batching ? 'batching' : 'no-batching'}-`));
  for (const name of options.models) {
    const source = join(REPO_ROOT, 'models', name);
    const target = join(root, name);
    mkdirSync(target);
    for (const file of readdirSync(source)) {
      if (file === 'model.yaml') continue;
      symlinkSync(join(source, file), join(target, file));
    }
    const config = parseDocument(readFileSync(join(source, 'model.yaml'), 'utf8'));
    if (!options.batching) {
      config.set('max_batch_size', 1);
      config.delete('dynamic_batching');
    }
    writeFileSync(join(target, 'model.yaml'), config.toString());
  }
  return { path: root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
