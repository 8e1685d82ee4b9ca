import { SluiceError } from '../../errors.js';
import type { Prediction } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { Postprocessor } from '../../../gen/ts/sluice/v1/model_config.js';
import type { ImageGeometry } from '../preprocess/image-geometry.js';
import { classify } from './classify.js';
import { decodeCtc } from './decode-ctc.js';
import { detectObjects } from './detect-objects.js';
import { detectText } from './detect-text.js';
import { findPeaks } from './find-peaks.js';
import type { OutputTensor } from './output-tensor.js';
import { segment } from './segment.js';

/** What postprocessors need besides the output tensors. */
export interface PostprocessContext {
  /** The model's class or token labels. */
  readonly labels: readonly string[];
  /** The model's output names in model order; the first is used when a config names none. */
  readonly outputNames: readonly string[];
  /** How the original image maps onto the model input; absent for tensor inputs. */
  readonly geometry?: ImageGeometry | undefined;
  /** Size of the model input the outputs were computed from (varies with FIT_STRIDE). */
  readonly inputWidth?: number | undefined;
  readonly inputHeight?: number | undefined;
}

/**
 * Runs the model's postprocessor over one item's outputs (every numeric output, as float32) and returns the fields of `Prediction`
 * it fills, plus `imageWidth`/`imageHeight` when the item was an image. Returns `{}` when the
 * model has no postprocessor. An output the configuration names but the model lacks is INTERNAL
 * (the repository's validation normally reports it first).
 */
export function postprocess(
  postprocessor: Postprocessor | undefined,
  outputs: ReadonlyMap<string, OutputTensor>,
  context: PostprocessContext,
): Partial<Prediction> {
  const kind = postprocessor?.kind;
  if (kind === undefined) return {};

  const output = (): OutputTensor => pickOutput(kind.value.output, outputs, context.outputNames);
  let result: Partial<Prediction>;
  switch (kind.$case) {
    case 'classification':
      result = classify(output(), kind.value, context.labels);
      break;
    case 'textDetection':
      result = detectText(output(), kind.value, context);
      break;
    case 'ctcDecode':
      result = decodeCtc(output(), context.labels);
      break;
    case 'peaks':
      result = findPeaks(output(), kind.value, context);
      break;
    case 'detection':
      // Reads one output or three, by the layout: it picks them itself.
      result = detectObjects(outputs, kind.value, context);
      break;
    case 'segmentation':
      result = segment(output(), kind.value, context);
      break;
  }
  if (context.geometry) {
    result.imageWidth = context.geometry.originalWidth;
    result.imageHeight = context.geometry.originalHeight;
  }
  return result;
}

function pickOutput(
  configured: string,
  outputs: ReadonlyMap<string, OutputTensor>,
  outputNames: readonly string[],
): OutputTensor {
  const name = configured !== '' ? configured : outputNames[0];
  const tensor = name === undefined ? undefined : outputs.get(name);
  if (tensor === undefined) {
    throw new SluiceError(
      'INTERNAL',
      `postprocessor output "${name ?? ''}" is not among the model's float32 outputs (${[...outputs.keys()].join(', ')})`,
    );
  }
  return tensor;
}
