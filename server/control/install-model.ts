/**
 * Moves a checked staging folder into the repository and loads it, or leaves everything as it
 * was. A replaced folder is first renamed aside (`.previous-<name>-<random>`, a dot-folder the
 * repository ignores) and only deleted once the new version serves; when the load fails the new
 * folder goes back to staging and the previous one back into place, and the version already
 * loaded goes on serving (ModelControl never drops it for a failed load).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SluiceError } from '../errors.js';
import type { LoadedModel } from '../repository/load-model.js';

/** What `installModel` works on. */
export interface InstallModelOptions {
  /** The repository directory. */
  readonly dir: string;
  readonly name: string;
  /** The staging folder to move in; on failure the new files are back there, for the caller to remove. */
  readonly staging: string;
  /** Replace a folder of the same name; without it an existing folder is ALREADY_EXISTS. */
  readonly replace: boolean;
  /** Loads (or reloads) the model from its folder in the repository. */
  readonly load: (name: string) => Promise<LoadedModel>;
  readonly logger: Logger;
}

/** The model now served, and whether it replaced a folder. */
export interface InstalledModel {
  readonly model: LoadedModel;
  readonly replaced: boolean;
}

export async function installModel(options: InstallModelOptions): Promise<InstalledModel> {
  const { dir, name, staging, logger } = options;
  const target = join(dir, name);
  const exists = existsSync(target);
  if (exists && !options.replace) throw modelAlreadyExists(name);
  const previous = exists ? join(dir, `.previous-${name}-${randomBytes(6).toString('hex')}`) : undefined;
  // Synchronous and back to back: no turn of the event loop in which this server's poller could
  // find the model folder missing and unload the serving version.
  if (previous !== undefined) renameSync(target, previous);
  try {
    renameSync(staging, target);
  } catch (err: unknown) {
    if (previous !== undefined) renameSync(previous, target);
    throw err;
  }
  let model: LoadedModel;
  try {
    model = await options.load(name);
  } catch (err: unknown) {
    try {
      // Synchronous for the same reason: the previous version must not look removed to the poller.
      renameSync(target, staging);
      if (previous !== undefined) renameSync(previous, target);
    } catch (restoreErr: unknown) {
      logger.error({ err: restoreErr, model: name, staging, previous }, 'a failed push could not be undone; the model folder needs a look');
    }
    throw err;
  }
  if (previous !== undefined) {
    await rm(previous, { recursive: true, force: true }).catch((err: unknown) => logger.warn({ err, model: name, folder: previous }, 'the replaced model folder could not be removed'));
  }
  return { model, replaced: previous !== undefined };
}

/** ALREADY_EXISTS for a push that would overwrite `name` without asking to. */
export function modelAlreadyExists(name: string): SluiceError {
  return new SluiceError('ALREADY_EXISTS', `model ${JSON.stringify(name)} is already in the repository; push with replace to replace it`);
}
