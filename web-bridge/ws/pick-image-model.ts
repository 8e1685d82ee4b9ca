/**
 * The model a `source` names, checked against what the server serves: it must exist and take
 * images (a browser sends encoded pictures, not tensors).
 */
import type { ModelSummary } from '../../gen/ts/sluice/v1/inference_service.js';
import type { ErrorMessage } from '../protocol/messages.js';

/** The image model called `name`, or the error to answer, which lists the image models. */
export function pickImageModel(models: readonly ModelSummary[], name: string): { readonly model: ModelSummary } | { readonly error: ErrorMessage } {
  const model = models.find((m) => m.name === name);
  if (model !== undefined && model.acceptsImages) return { model };
  const served = models.filter((m) => m.acceptsImages).map((m) => m.name).join(', ');
  return {
    error:
      model === undefined
        ? { type: 'error', code: 'UNKNOWN_MODEL', message: `the server has no model ${JSON.stringify(name)}; image models: ${served}` }
        : { type: 'error', code: 'NOT_AN_IMAGE_MODEL', message: `model ${JSON.stringify(name)} takes tensors, not images; image models: ${served}` },
  };
}
