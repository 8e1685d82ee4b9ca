/**
 * The model repository: every folder of the models directory that holds a `model.yaml`.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { type LoadedModel, MODEL_CONFIG_FILE, loadModel } from './load-model.js';

/** The models a server serves, by name. */
export class ModelRepository {
  readonly #models: ReadonlyMap<string, LoadedModel>;

  private constructor(models: readonly LoadedModel[]) {
    this.#models = new Map(models.map((m) => [m.name, m]));
  }

  /** Loads and checks every model under `dir`; the first invalid one fails the whole load. */
  static async load(dir: string): Promise<ModelRepository> {
    if (!existsSync(dir)) throw new SluiceError('INVALID_CONFIG', `models directory ${dir} does not exist`);
    const entries = await readdir(dir, { withFileTypes: true });
    const folders = entries
      .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, MODEL_CONFIG_FILE)))
      .map((e) => join(dir, e.name))
      .sort();
    if (folders.length === 0) {
      throw new SluiceError('INVALID_CONFIG', `models directory ${dir} has no model folders (folders with a ${MODEL_CONFIG_FILE})`);
    }
    const models: LoadedModel[] = [];
    for (const folder of folders) models.push(await loadModel(folder));
    return new ModelRepository(models);
  }

  /** The model called `name`, or undefined. */
  get(name: string): LoadedModel | undefined {
    return this.#models.get(name);
  }

  /** All models, sorted by name. */
  list(): readonly LoadedModel[] {
    return [...this.#models.values()];
  }
}
