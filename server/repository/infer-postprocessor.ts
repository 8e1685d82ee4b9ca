/**
 * The postprocessor of a model served without a model.yaml: the one `--postprocess` names, or
 * the one its outputs' shapes allow, only when exactly one kind fits. A guess that could be wrong
 * (an [N, 512] embedding taken for 512 classes) is cheap to undo with `--postprocess none`; a
 * shape that fits several kinds (an [N, 1, H, W] map is a text detector's or a heatmap) gets
 * none, and the responses carry tensors.
 */
import { ConfigOrigin } from '../../gen/ts/sluice/v1/inference_service.js';
import { DetectionLayout, type Postprocessor } from '../../gen/ts/sluice/v1/model_config.js';
import type { TensorSpec } from '../../gen/ts/sluice/v1/tensor.js';
import { resolveDetectionOutputs } from '../worker/postprocess/detection-outputs.js';
import type { ConfigSources } from './config-sources.js';
import { describeSpec } from './infer-preprocessing.js';
import type { PostprocessName } from './model-overrides.js';

/** What `inferPostprocessor` decided: a postprocessor, or why there is none. */
export type InferredPostprocessor = { readonly postprocessor: Postprocessor } | { readonly postprocessor: undefined; readonly reason: string };

/** A postprocessor of `kind` with its defaults, as `--postprocess` asks. */
export function defaultPostprocessor(kind: Exclude<PostprocessName, 'none'>): Postprocessor {
  switch (kind) {
    case 'classification':
      return { kind: { $case: 'classification', value: { output: '', topK: 0, softmax: false, activation: 0 } } };
    case 'detection':
      return { kind: { $case: 'detection', value: detectionDefaults() } };
    case 'segmentation':
      return { kind: { $case: 'segmentation', value: { output: '' } } };
    case 'peaks':
      return { kind: { $case: 'peaks', value: { output: '', maxPeaks: 0 } } };
    case 'text_detection':
      return { kind: { $case: 'textDetection', value: { output: '', maxCandidates: 0 } } };
    case 'ctc_decode':
      return { kind: { $case: 'ctcDecode', value: { output: '' } } };
  }
}

function detectionDefaults(): Extract<NonNullable<Postprocessor['kind']>, { $case: 'detection' }>['value'] {
  return {
    layout: DetectionLayout.DETECTION_LAYOUT_UNSPECIFIED,
    output: '',
    boxesOutput: '',
    scoresOutput: '',
    classesOutput: '',
    boxFormat: 0,
    normalizedBoxes: false,
    classAgnostic: false,
    maxDetections: 0,
  };
}

/** Dimensions as numbers, -1 for dynamic ones. */
export function numericShapes(specs: readonly TensorSpec[]): { name: string; shape: number[] }[] {
  return specs.map((s) => ({ name: s.name, shape: s.shape.map(Number) }));
}

/**
 * The postprocessor for `outputs`. `image` is the size images are resized to (undefined for a
 * model that takes tensors), which a segmentation map must match to be told from other maps.
 */
export function inferPostprocessor(
  outputs: readonly TensorSpec[],
  image: { readonly width: number; readonly height: number } | undefined,
  override: PostprocessName | undefined,
  sources: ConfigSources,
): InferredPostprocessor {
  if (override === 'none') return { postprocessor: undefined, reason: '--postprocess none' };
  if (override !== undefined) {
    sources.set('postprocessor', ConfigOrigin.CONFIG_ORIGIN_OVERRIDE);
    return { postprocessor: defaultPostprocessor(override) };
  }
  const fits: { postprocessor: Postprocessor; reason: string }[] = [];
  const detection = resolveDetectionOutputs(detectionDefaults(), numericShapes(outputs));
  if (detection.ok) {
    fits.push({ postprocessor: defaultPostprocessor('detection'), reason: `${outputs.map(describeSpec).join(', ')} has a detector's layout` });
  }
  const [only] = outputs;
  if (only !== undefined && outputs.length === 1) {
    const dims = only.shape;
    if (dims.length === 2 && dims[1] !== undefined && dims[1] >= 2n) {
      fits.push({ postprocessor: defaultPostprocessor('classification'), reason: `${describeSpec(only)} holds one score per class` });
    }
    if (image !== undefined && isImageSized(dims, image)) {
      fits.push({ postprocessor: defaultPostprocessor('segmentation'), reason: `${describeSpec(only)} holds a class for each pixel of the ${image.width}x${image.height} input` });
    }
  }
  if (fits.length === 1) {
    const [fit] = fits as [{ postprocessor: Postprocessor; reason: string }];
    sources.set('postprocessor', ConfigOrigin.CONFIG_ORIGIN_INFERRED, fit.reason);
    return { postprocessor: fit.postprocessor };
  }
  const shapes = outputs.map(describeSpec).join(', ');
  return { postprocessor: undefined, reason: fits.length === 0 ? `no postprocessor fits the outputs ${shapes}` : `the outputs ${shapes} fit several postprocessors` };
}

/** [N, C, H, W] scores with C >= 2, or an [N, H, W] map, at the input's size. */
function isImageSized(dims: readonly bigint[], image: { readonly width: number; readonly height: number }): boolean {
  const h = BigInt(image.height);
  const w = BigInt(image.width);
  if (dims.length === 4) return (dims[1] ?? 0n) >= 2n && dims[2] === h && dims[3] === w;
  if (dims.length === 3) return dims[1] === h && dims[2] === w;
  return false;
}
