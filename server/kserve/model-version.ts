/**
 * Model versions as the Open Inference Protocol sees them: Sluice serves one version of each
 * model, called "1"; a request may name it or leave the version empty.
 */
import { SluiceError } from '../errors.js';

/** The one version of every model. */
export const MODEL_VERSION = '1';

/** Throws MODEL_NOT_FOUND naming `version` unless it is empty or MODEL_VERSION. */
export function checkVersion(model: string, version: string): void {
  if (version === '' || version === MODEL_VERSION) return;
  throw new SluiceError('MODEL_NOT_FOUND', `model ${JSON.stringify(model)} has no version ${JSON.stringify(version)}; Sluice serves version "${MODEL_VERSION}" of each model (or leave the version empty)`);
}
