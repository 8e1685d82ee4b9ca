/**
 * Models pushed over the network (`PushModel`): a header, then the files' bytes, written to a
 * staging folder in the repository (`UploadStaging`), checked (sizes, digests, the configuration
 * and a trial load in a worker, `ModelRepository.readStaged`), then moved into place and loaded
 * (`installModel`). Any failure, a cancelled call included, removes what was staged and leaves
 * the repository and the serving version as they were.
 *
 * One push per model name at a time: a second push of a name being pushed is refused at once
 * with CONFLICT (ABORTED), rather than made to wait with its bytes in flight; whether it should
 * still happen (replace or not) can only be decided once the first has finished.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PushModelRequest } from '../../gen/ts/sluice/v1/inference_service.js';
import { SluiceError } from '../errors.js';
import { type LoadedModel, ONNX_EXTENSION } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ModelControl } from './model-control.js';
import { installModel, modelAlreadyExists } from './install-model.js';
import { type PushPlan, checkPushHeader } from './check-push-header.js';
import { UploadStaging } from './upload-staging.js';

/** What `ModelUpload` works on. */
export interface ModelUploadOptions {
  readonly repository: Pick<ModelRepository, 'dir' | 'get' | 'isFile' | 'readStaged'>;
  readonly control: Pick<ModelControl, 'load'>;
  /** Largest push, all files together (`--max-model-bytes`). */
  readonly maxModelBytes: number;
  readonly logger: Logger;
}

/** One push, as the handler sees it. */
export interface PushContext {
  /** Aborted when the client cancels the call. */
  readonly signal: AbortSignal;
  /** The caller's name, for the log. */
  readonly caller: string;
  /** False once the server has started shutting down: the push is not installed then. */
  readonly accepting: () => boolean;
}

/** A model pushed and now served. */
export interface PushedModel {
  readonly model: LoadedModel;
  /** Bytes received, all files together. */
  readonly bytes: number;
  /** A folder of the same name was replaced. */
  readonly replaced: boolean;
}

export class ModelUpload {
  readonly #options: ModelUploadOptions;
  readonly #logger: Logger;
  /** Names being pushed. */
  readonly #busy = new Set<string>();

  constructor(options: ModelUploadOptions) {
    if (!Number.isSafeInteger(options.maxModelBytes) || options.maxModelBytes < 1) throw new TypeError('options.maxModelBytes must be a positive integer');
    this.#options = options;
    this.#logger = options.logger.child({ component: 'model-upload' });
  }

  /**
   * Receives one push from its messages and returns the model once it serves. Rejects with a
   * SluiceError whose code says what was wrong: INVALID_INPUT (the protocol or the header),
   * LIMIT_EXCEEDED, ALREADY_EXISTS, CONFLICT, DIGEST_MISMATCH, INVALID_CONFIG (the model's
   * checks or its trial load), CANCELLED or UNAVAILABLE.
   */
  async receive(messages: AsyncIterable<PushModelRequest>, context: PushContext): Promise<PushedModel> {
    let plan: PushPlan | undefined;
    /** The name the header gave, for the log, before it is checked. */
    let named: string | undefined;
    let staging: UploadStaging | undefined;
    const dir = this.#options.repository.dir;
    try {
      if (dir === undefined) throw new SluiceError('INVALID_CONFIG', 'the server has no models directory to push models to (it serves only --model files)');
      for await (const message of messages) {
        const part = message.part;
        if (plan === undefined) {
          if (part?.$case !== 'header') throw new SluiceError('INVALID_INPUT', 'PushModel: the first message must be the header');
          named = part.value.name.slice(0, 200);
          plan = this.#claim(checkPushHeader(part.value, this.#options.maxModelBytes), dir);
          staging = await UploadStaging.create(dir, plan.files, this.#options.maxModelBytes);
        } else if (part?.$case === 'chunk') {
          await staging?.write(part.value.file, part.value.data);
        } else {
          throw new SluiceError('INVALID_INPUT', 'PushModel: after the header, every message must be a chunk');
        }
      }
      if (plan === undefined || staging === undefined) throw new SluiceError('INVALID_INPUT', 'PushModel: the stream ended before its header');
      await staging.finish();
      await this.#options.repository.readStaged(staging.dir, plan.name);
      this.#checkStillWanted(context);
      const installed = await installModel({
        dir,
        name: plan.name,
        staging: staging.dir,
        replace: plan.replace,
        load: (name) => this.#options.control.load(name),
        logger: this.#logger,
      });
      this.#logger.info(
        { model: plan.name, bytes: staging.received, files: plan.files.map((f) => f.name), replaced: installed.replaced, caller: context.caller },
        'model pushed',
      );
      return { model: installed.model, bytes: staging.received, replaced: installed.replaced };
    } catch (err: unknown) {
      await staging?.discard().catch((discardErr: unknown) => this.#logger.error({ err: discardErr, folder: staging?.dir }, 'a staging folder could not be removed'));
      const reason = context.signal.aborted ? new SluiceError('CANCELLED', 'the client cancelled the push', { cause: err }) : err;
      this.#logger.info({ model: named, code: reason instanceof SluiceError ? reason.code : 'INTERNAL', caller: context.caller }, 'model push failed');
      throw reason;
    } finally {
      if (plan !== undefined) this.#busy.delete(plan.name);
    }
  }

  /**
   * Takes the name for this push: CONFLICT while another push has it; ALREADY_EXISTS when the
   * name is taken and the push does not replace; INVALID_CONFIG when it would replace a model
   * served from a file rather than a folder.
   */
  #claim(plan: PushPlan, dir: string): PushPlan {
    const { name } = plan;
    if (this.#busy.has(name)) throw new SluiceError('CONFLICT', `model ${JSON.stringify(name)} is being pushed by another call; try again when it has finished`);
    const repository = this.#options.repository;
    const topLevelFile = join(dir, `${name}${ONNX_EXTENSION}`);
    const taken = repository.get(name) !== undefined || existsSync(join(dir, name)) || existsSync(topLevelFile);
    if (taken && !plan.replace) throw modelAlreadyExists(name);
    if (taken && (repository.isFile(name) || existsSync(topLevelFile))) {
      throw new SluiceError('INVALID_CONFIG', `model ${JSON.stringify(name)} is served from a single ONNX file, not a model folder; a push cannot replace it`);
    }
    this.#busy.add(name);
    return plan;
  }

  /** Before the repository changes: the caller is still there and the server still takes changes. */
  #checkStillWanted(context: PushContext): void {
    if (context.signal.aborted) throw new SluiceError('CANCELLED', 'the client cancelled the push');
    if (!context.accepting()) throw new SluiceError('UNAVAILABLE', 'server is shutting down');
  }
}
