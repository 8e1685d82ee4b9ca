/**
 * The model repository: the models of the models directory, and ONNX files named when the server
 * started (`--model`). In the directory, a model is a folder holding a `model.yaml` (and the files
 * it names), a folder holding a single `.onnx` file, or a `.onnx` file at the top level (named
 * after the file); the last two are configured from the file itself. Entries whose names start
 * with a dot are not models (uploads stage there).
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { OcrPipeline } from '../../gen/ts/sluice/v1/model_config.js';
import type { ModelSpec } from '../worker/task.js';
import { type LoadedModel, MODEL_CONFIG_FILE, ONNX_EXTENSION, loadModel, loadModelFile, modelNameOf, protoFieldName } from './load-model.js';
import { type ModelOverrides, NO_OVERRIDES } from './model-overrides.js';

/** A valid model name: also a folder name. */
const MODEL_NAME = /^[A-Za-z0-9][\w.-]*$/;

/** An ONNX file to serve without a model.yaml, as `--model [name=]path` gives it. */
export interface ModelFile {
  readonly name: string;
  /** Absolute path. */
  readonly path: string;
}

/** What the repository serves besides its directory. */
export interface RepositoryOptions {
  /** ONNX files served with their configuration inferred. */
  readonly files?: readonly ModelFile[];
  /** Start-up settings applied to those files. */
  readonly overrides?: ModelOverrides;
}

/** Where one model's files are. */
type Entry = { readonly kind: 'folder'; readonly dir: string } | { readonly kind: 'file'; readonly path: string };

/** The models a server serves, by name. */
export class ModelRepository {
  /** The models directory; undefined when the server serves only `--model` files. */
  readonly dir: string | undefined;
  readonly #models: Map<string, LoadedModel>;
  readonly #files: ReadonlyMap<string, string>;
  readonly #overrides: ModelOverrides;
  /** Where each model of the directory was last read from. */
  readonly #entries = new Map<string, Entry>();

  private constructor(dir: string | undefined, models: readonly LoadedModel[], options: RepositoryOptions) {
    this.dir = dir;
    this.#models = new Map(models.map((m) => [m.name, m]));
    this.#files = new Map((options.files ?? []).map((f) => [f.name, f.path]));
    this.#overrides = options.overrides ?? NO_OVERRIDES;
  }

  /** Loads and checks every model under `dir` and every file; the first invalid one fails the whole load. */
  static async load(dir: string | undefined, options: RepositoryOptions = {}): Promise<ModelRepository> {
    const files = options.files ?? [];
    if (dir !== undefined && !existsSync(dir)) throw new SluiceError('INVALID_CONFIG', `models directory ${dir} does not exist`);
    const names = dir === undefined ? new Map<string, Entry>() : await ModelRepository.#scan(dir);
    for (const file of files) {
      if (!MODEL_NAME.test(file.name)) throw new SluiceError('INVALID_CONFIG', `--model ${file.path}: ${JSON.stringify(file.name)} is not a valid model name (letters, digits, _ . -); give one with name=path`);
      if (!existsSync(file.path)) throw new SluiceError('INVALID_CONFIG', `--model ${file.path} does not exist`);
      if (names.has(file.name) || files.filter((f) => f.name === file.name).length > 1) {
        throw new SluiceError('INVALID_CONFIG', `--model ${file.path}: the name ${JSON.stringify(file.name)} is taken; give another with name=path`);
      }
    }
    if (names.size === 0 && files.length === 0) {
      throw new SluiceError('INVALID_CONFIG', `models directory ${dir ?? '(none)'} has no models (folders with a ${MODEL_CONFIG_FILE} or an ${ONNX_EXTENSION} file), and no --model was given`);
    }
    const repository = new ModelRepository(dir, [], options);
    const models: LoadedModel[] = [];
    for (const name of [...names.keys()].sort()) models.push(await repository.#read(name, names.get(name) as Entry).catch(withDetails));
    for (const file of files) models.push(await repository.readOne(file.name).catch(withDetails));
    for (const model of models) repository.set(model);
    for (const model of models) repository.checkStages(model);
    return repository;
  }

  /** The models `dir` holds, by name. */
  static async #scan(dir: string): Promise<Map<string, Entry>> {
    const found = new Map<string, Entry>();
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const inside = await readdir(path);
        if (inside.includes(MODEL_CONFIG_FILE) || inside.filter((f) => f.endsWith(ONNX_EXTENSION)).length === 1) found.set(entry.name, { kind: 'folder', dir: path });
      } else if (entry.isFile() && entry.name.endsWith(ONNX_EXTENSION)) {
        const name = modelNameOf(entry.name);
        if (found.has(name) || entries.some((e) => e.isDirectory() && e.name === name)) {
          throw new SluiceError('INVALID_CONFIG', `models directory ${dir}: ${entry.name} and the folder ${name} would both be model ${JSON.stringify(name)}`);
        }
        found.set(name, { kind: 'file', path });
      }
    }
    return found;
  }

  /**
   * Where model `name` is in `dir`, by the rules of `#scan`, looking at that name's entries only:
   * a reload reads one folder, not the whole repository.
   */
  static async #locate(dir: string, name: string): Promise<Entry | undefined> {
    const folder = join(dir, name);
    const file = `${folder}${ONNX_EXTENSION}`;
    const [folderInfo, fileInfo] = await Promise.all([stat(folder).catch(() => undefined), stat(file).catch(() => undefined)]);
    if (folderInfo?.isDirectory() === true && fileInfo?.isFile() === true) {
      throw new SluiceError('INVALID_CONFIG', `models directory ${dir}: ${name}${ONNX_EXTENSION} and the folder ${name} would both be model ${JSON.stringify(name)}`);
    }
    if (folderInfo?.isDirectory() === true) {
      const inside = await readdir(folder);
      return inside.includes(MODEL_CONFIG_FILE) || inside.filter((f) => f.endsWith(ONNX_EXTENSION)).length === 1 ? { kind: 'folder', dir: folder } : undefined;
    }
    return fileInfo?.isFile() === true ? { kind: 'file', path: file } : undefined;
  }

  /**
   * Loads and checks one model on its own, without adding it: the caller checks its stages
   * (`checkStages`) once the models they name are in place, and decides when it starts serving
   * (`set`).
   */
  async readOne(name: string): Promise<LoadedModel> {
    const file = this.#files.get(name);
    if (file !== undefined) return loadModelFile(file, { name, overrides: this.#overrides });
    const entry = MODEL_NAME.test(name) && this.dir !== undefined ? await ModelRepository.#locate(this.dir, name) : undefined;
    if (entry === undefined) {
      throw new SluiceError('MODEL_NOT_FOUND', `the repository has no model ${JSON.stringify(name)} (a folder with a ${MODEL_CONFIG_FILE} or an ${ONNX_EXTENSION} file)`);
    }
    return this.#read(name, entry);
  }

  /**
   * Loads and checks a model folder outside the repository under `name` (an upload being
   * staged); its ONNX file is opened in a worker thread, which is the trial load.
   */
  readStaged(folder: string, name: string): Promise<LoadedModel> {
    return loadModel(folder, { name });
  }

  #read(name: string, entry: Entry): Promise<LoadedModel> {
    this.#entries.set(name, entry);
    return entry.kind === 'folder' ? loadModel(entry.dir, { name }) : loadModelFile(entry.path, { name });
  }

  /** Files whose changes mean `name` should be reloaded: its config and ONNX file. */
  filesOf(name: string): readonly string[] {
    const file = this.#files.get(name);
    if (file !== undefined) return [file];
    const entry = this.#entries.get(name);
    if (entry === undefined) return [];
    if (entry.kind === 'file') return [entry.path];
    return [join(entry.dir, MODEL_CONFIG_FILE), join(entry.dir, this.#models.get(name)?.config.file || 'model.onnx')];
  }

  /** Names of the models the directory holds now (not the `--model` files). */
  async onDisk(): Promise<readonly string[]> {
    if (this.dir === undefined) return [];
    return [...(await ModelRepository.#scan(this.dir)).keys()].sort();
  }

  /** Whether `name` is served from a `--model` file rather than the directory. */
  isFile(name: string): boolean {
    return this.#files.has(name);
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
