/**
 * The model repository: every folder of the models directory that holds a `model.yaml`.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { OcrPipeline } from '../../gen/ts/sluice/v1/model_config.js';
import type { ModelSpec } from '../worker/task.js';
import { type LoadedModel, MODEL_CONFIG_FILE, loadModel, protoFieldName } from './load-model.js';

/** The models a server serves, by name. */
export class ModelRepository {
  /** The models directory. */
  readonly dir: string;
  readonly #models: Map<string, LoadedModel>;

  private constructor(dir: string, models: readonly LoadedModel[]) {
    this.dir = dir;
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
    for (const folder of folders) models.push(await loadModel(folder).catch(withDetails));
    const repository = new ModelRepository(dir, models);
    for (const model of models) repository.checkStages(model);
    return repository;
  }

  /**
   * Loads and checks one model folder on its own, without adding it: the caller checks its
   * stages (`checkStages`) once the models they name are in place, and decides when it starts
   * serving (`set`).
   */
  async readOne(name: string): Promise<LoadedModel> {
    const folder = join(this.dir, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(join(folder, MODEL_CONFIG_FILE))) {
      throw new SluiceError('MODEL_NOT_FOUND', `the repository has no model folder ${JSON.stringify(name)} with a ${MODEL_CONFIG_FILE}`);
    }
    return loadModel(folder);
  }

  /** For a pipeline: each stage must be a loaded model fit for its role (INVALID_CONFIG otherwise). */
  checkStages(model: LoadedModel): void {
    if (model.pipeline !== undefined) this.#checkOcrPipeline(model.name, model.pipeline);
  }

  /** Serves `model` from now on, replacing a loaded version. */
  set(model: LoadedModel): void {
    this.#models.set(model.name, model);
  }

  /** Stops listing `name`. */
  delete(name: string): void {
    this.#models.delete(name);
  }

  /** Pipelines that use `name` as a stage. */
  dependents(name: string): readonly string[] {
    return this.list()
      .filter((m) => m.pipeline !== undefined && [m.pipeline.detector, m.pipeline.classifier, m.pipeline.recognizer].includes(name))
      .map((m) => m.name);
  }

  /** Folder names that hold a model config now. */
  async folders(): Promise<readonly string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && existsSync(join(this.dir, e.name, MODEL_CONFIG_FILE))).map((e) => e.name).sort();
  }

  /** Models with an ONNX file, as workers load them. */
  onnxSpecs(): readonly ModelSpec[] {
    return this.list().flatMap((m) => (m.spec === undefined ? [] : [m.spec]));
  }

  /** Each stage must exist, be an ONNX model, and have the postprocessor its role needs. */
  #checkOcrPipeline(name: string, stages: OcrPipeline): void {
    const roles: [keyof OcrPipeline, string, string][] = [
      ['detector', stages.detector, 'textDetection'],
      ['classifier', stages.classifier, 'classification'],
      ['recognizer', stages.recognizer, 'ctcDecode'],
    ];
    for (const [role, stage, postprocessor] of roles) {
      if (stage === '') continue;
      const where = `model ${JSON.stringify(name)}: ${MODEL_CONFIG_FILE}: pipeline.ocr.${role}`;
      const model = this.#models.get(stage);
      if (model === undefined) throw new SluiceError('INVALID_CONFIG', `${where} names ${JSON.stringify(stage)}, which is not in the repository`);
      if (model.spec === undefined || model.imageInput === undefined || model.config.postprocessor?.kind?.$case !== postprocessor) {
        throw new SluiceError('INVALID_CONFIG', `${where} names ${stage}, which must be an image model with the ${protoFieldName(postprocessor)} postprocessor`);
      }
    }
  }

  /** The model called `name`, or undefined. */
  get(name: string): LoadedModel | undefined {
    return this.#models.get(name);
  }

  /** The model called `name`; MODEL_NOT_FOUND when there is none. */
  require(name: string): LoadedModel {
    const model = this.#models.get(name);
    if (model === undefined) throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(name)} is not in the repository`);
    return model;
  }

  /** All models, sorted by name. */
  list(): readonly LoadedModel[] {
    return [...this.#models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/**
 * At start-up the reader of a failure is the operator, not a client: the details a load keeps out
 * of its message (onnxruntime's words, the YAML parser's) are worth showing.
 */
function withDetails(err: unknown): never {
  if (err instanceof SluiceError && err.cause instanceof Error) {
    throw new SluiceError(err.code, `${err.message}: ${err.cause.message}`, { cause: err.cause });
  }
  throw err;
}
