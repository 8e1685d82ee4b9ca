/**
 * Which outputs a detection postprocessor reads and how they are laid out, decided from output
 * shapes alone. Pure, and free of onnxruntime, so that the repository can run it at load time (to
 * check a configuration, or to guess a postprocessor from an ONNX file's signature) and the worker
 * can run it on each item's real dims: the two cannot disagree.
 */
import { DetectionLayout, type DetectionPostprocessor } from '../../../gen/ts/sluice/v1/model_config.js';

/** An output as declared by a model: `-1` is a dynamic dimension. */
export interface DetectionOutputShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The outputs a detection postprocessor will read. */
export interface ResolvedDetectionOutputs {
  readonly ok: true;
  /** Never `DETECTION_LAYOUT_UNSPECIFIED`: a guess has been made. */
  readonly layout: DetectionLayout;
  /** YOLO layouts: the one output. */
  readonly output?: string;
  /** BOXES_SCORES_CLASSES: the boxes, scores and (for `[N, K]` scores) classes outputs. */
  readonly boxes?: string;
  readonly scores?: string;
  readonly classes?: string;
  /** Number of classes, when the shapes fix it. */
  readonly classCount?: number;
}

/** Why no layout fits; `reason` names the outputs and their shapes. */
export interface UnresolvedDetectionOutputs {
  readonly ok: false;
  readonly reason: string;
}

/** Outcome of `resolveDetectionOutputs`. */
export type DetectionOutputsResolution = ResolvedDetectionOutputs | UnresolvedDetectionOutputs;

type Failure = UnresolvedDetectionOutputs;

/**
 * Resolves the outputs `options` reads among `outputs` (in model order). An explicit layout is
 * checked against the shapes; dynamic dimensions pass any check they cannot decide. With
 * `DETECTION_LAYOUT_UNSPECIFIED` the layout is guessed, and only when exactly one fits:
 *
 * - YOLO: the output named by `options.output`, else the model's only rank-3 output, shaped
 *   `[N, a, b]` with `a` and `b` fixed: YOLOV8 when `a < b` and `a >= 5`, YOLOV5 when `a > b` and
 *   `b >= 6`. A dynamic `a` or `b` is not guessed (the boxes count varies with input size, so
 *   the two layouts cannot be told apart).
 * - BOXES_SCORES_CLASSES: the outputs named by the options, or by default the only outputs whose
 *   names contain "box", "score", and "class" or "label" (case-insensitive; a name is taken by the
 *   first of these it contains, so "class_scores" is scores), fit that layout's shapes.
 */
export function resolveDetectionOutputs(
  options: DetectionPostprocessor,
  outputs: readonly DetectionOutputShape[],
): DetectionOutputsResolution {
  switch (options.layout) {
    case DetectionLayout.DETECTION_LAYOUT_YOLOV5:
    case DetectionLayout.DETECTION_LAYOUT_YOLOV8: {
      const output = options.output !== '' ? find(outputs, options.output) : outputs[0];
      if (output === undefined) return missing('output', options.output, outputs);
      return resolveYolo(options.layout, output);
    }
    case DetectionLayout.DETECTION_LAYOUT_BOXES_SCORES_CLASSES:
      return resolveBoxesScoresClasses(options, outputs);
    case DetectionLayout.DETECTION_LAYOUT_UNSPECIFIED:
      return guess(options, outputs);
    default:
      return { ok: false, reason: `layout ${String(options.layout)} is not a known detection layout` };
  }
}

function guess(options: DetectionPostprocessor, outputs: readonly DetectionOutputShape[]): DetectionOutputsResolution {
  // A configured `output` points at YOLO, configured boxes/scores/classes names at the other
  // layout; a layout the configuration points away from is not tried.
  const named = options.boxesOutput !== '' || options.scoresOutput !== '' || options.classesOutput !== '';
  const single = options.output !== '';
  const tried = [
    !named || single ? guessYolo(options, outputs) : undefined,
    !single || named ? resolveBoxesScoresClasses(options, outputs) : undefined,
  ].filter((r) => r !== undefined);
  const fits = tried.filter((r) => r.ok);
  if (fits.length === 1 && fits[0] !== undefined) return fits[0];
  const all = describe(outputs);
  if (fits.length > 1) return { ok: false, reason: `outputs ${all} fit more than one detection layout; set layout` };
  const why = tried.map((r) => (r.ok ? '' : r.reason)).join('; ');
  return { ok: false, reason: `cannot guess the detection layout from outputs ${all} (${why}); set layout` };
}

function guessYolo(
  options: DetectionPostprocessor,
  outputs: readonly DetectionOutputShape[],
): DetectionOutputsResolution {
  let output: DetectionOutputShape | undefined;
  if (options.output !== '') {
    output = find(outputs, options.output);
    if (output === undefined) return missing('output', options.output, outputs);
  } else {
    const rank3 = outputs.filter((o) => o.shape.length === 3);
    if (rank3.length !== 1 || rank3[0] === undefined) {
      return { ok: false, reason: `no single rank-3 output [N, a, b] for a YOLO layout (${rank3.length} found)` };
    }
    output = rank3[0];
  }
  const [, a = -1, b = -1] = output.shape;
  const shape = `${output.name} ${shapeText(output.shape)}`;
  if (output.shape.length !== 3) return { ok: false, reason: `${shape} is not [N, a, b]` };
  if (a < 0 || b < 0) {
    return { ok: false, reason: `${shape} has a dynamic dimension, so YOLOV5 and YOLOV8 cannot be told apart` };
  }
  if (a < b && a >= 5) return resolveYolo(DetectionLayout.DETECTION_LAYOUT_YOLOV8, output);
  if (a > b && b >= 6) return resolveYolo(DetectionLayout.DETECTION_LAYOUT_YOLOV5, output);
  return {
    ok: false,
    reason: `${shape} fits neither YOLOV5 [N, boxes, 5 + classes] nor YOLOV8 [N, 4 + classes, boxes]`,
  };
}

function resolveYolo(layout: DetectionLayout, output: DetectionOutputShape): DetectionOutputsResolution {
  const v8 = layout === DetectionLayout.DETECTION_LAYOUT_YOLOV8;
  const expected = v8 ? 'YOLOV8 expects [N, 4 + classes, boxes]' : 'YOLOV5 expects [N, boxes, 5 + classes]';
  // Column count per box: 4 box numbers, objectness for v5, then at least one class.
  const perBox = v8 ? output.shape[1] : output.shape[2];
  const fixed = v8 ? 4 : 5;
  if (output.shape.length !== 3 || perBox === undefined || (perBox >= 0 && perBox < fixed + 1)) {
    return { ok: false, reason: `${expected}; output ${output.name} has ${shapeText(output.shape)}` };
  }
  return perBox < 0
    ? { ok: true, layout, output: output.name }
    : { ok: true, layout, output: output.name, classCount: perBox - fixed };
}

function resolveBoxesScoresClasses(
  options: DetectionPostprocessor,
  outputs: readonly DetectionOutputShape[],
): DetectionOutputsResolution {
  const picked = pickByName(options, outputs);
  if ('reason' in picked) return picked;
  const { boxes, scores } = picked;
  // Scores per class make a classes output redundant: one found by name is ignored.
  const classes = scores.shape.length === 3 && options.classesOutput === '' ? undefined : picked.classes;
  const fail = (): Failure => {
    const got = [boxes, scores, classes].filter((o) => o !== undefined).map((o) => `${o.name} ${shapeText(o.shape)}`);
    return {
      ok: false,
      reason:
        'BOXES_SCORES_CLASSES expects boxes [N, K, 4] and scores [N, K] with classes [N, K], or scores ' +
        `[N, K, classes] without; got ${got.join(', ')}`,
    };
  };
  const k = boxes.shape[1] ?? -1;
  if (boxes.shape.length !== 3 || !fits(boxes.shape[2], 4) || !fits(scores.shape[1], k)) return fail();
  const layout = DetectionLayout.DETECTION_LAYOUT_BOXES_SCORES_CLASSES;
  if (scores.shape.length === 3 && classes === undefined) {
    const count = scores.shape[2] ?? -1;
    if (count === 0) return fail();
    const found = { ok: true, layout, boxes: boxes.name, scores: scores.name } as const;
    return count > 0 ? { ...found, classCount: count } : found;
  }
  if (scores.shape.length !== 2 || classes === undefined || classes.shape.length !== 2 || !fits(classes.shape[1], k)) {
    return fail();
  }
  return { ok: true, layout, boxes: boxes.name, scores: scores.name, classes: classes.name };
}

interface Picked {
  readonly boxes: DetectionOutputShape;
  readonly scores: DetectionOutputShape;
  readonly classes: DetectionOutputShape | undefined;
}

/** The three outputs by configured name, or else by the words in their names. */
function pickByName(options: DetectionPostprocessor, outputs: readonly DetectionOutputShape[]): Picked | Failure {
  const byWord: Record<'box' | 'score' | 'class', DetectionOutputShape[]> = { box: [], score: [], class: [] };
  for (const o of outputs) {
    const name = o.name.toLowerCase();
    if (name.includes('box')) byWord.box.push(o);
    else if (name.includes('score')) byWord.score.push(o);
    else if (name.includes('class') || name.includes('label')) byWord.class.push(o);
  }
  const boxes = pickOne(outputs, 'boxes_output', options.boxesOutput, byWord.box);
  if (boxes === undefined || 'reason' in boxes) return boxes ?? noDefault('boxes_output', []);
  const scores = pickOne(outputs, 'scores_output', options.scoresOutput, byWord.score);
  if (scores === undefined || 'reason' in scores) return scores ?? noDefault('scores_output', []);
  // Absent classes are fine when scores hold one column per class; the caller decides.
  const classes = pickOne(outputs, 'classes_output', options.classesOutput, byWord.class);
  if (classes !== undefined && 'reason' in classes) return classes;
  const names = [boxes.name, scores.name, classes?.name].filter((n) => n !== undefined);
  if (new Set(names).size !== names.length) {
    return { ok: false, reason: `boxes, scores and classes must be different outputs, not ${names.join(', ')}` };
  }
  return { boxes, scores, classes };
}

function pickOne(
  outputs: readonly DetectionOutputShape[],
  field: string,
  configured: string,
  byWord: readonly DetectionOutputShape[],
): DetectionOutputShape | Failure | undefined {
  if (configured !== '') return find(outputs, configured) ?? missing(field, configured, outputs);
  if (byWord.length === 0) return undefined;
  return byWord.length === 1 ? byWord[0] : noDefault(field, byWord);
}

function noDefault(field: string, byWord: readonly DetectionOutputShape[]): Failure {
  const what =
    byWord.length === 0
      ? 'no output matches its default'
      : `several outputs match its default (${byWord.map((o) => o.name).join(', ')})`;
  return { ok: false, reason: `${field} is not set and ${what}` };
}

function find(outputs: readonly DetectionOutputShape[], name: string): DetectionOutputShape | undefined {
  return outputs.find((o) => o.name === name);
}

function missing(field: string, name: string, outputs: readonly DetectionOutputShape[]): Failure {
  if (name === '') return { ok: false, reason: 'the model has no outputs' };
  return { ok: false, reason: `${field} names ${JSON.stringify(name)}, which is not among ${describe(outputs)}` };
}

/** A dimension that may be dynamic fits when it is or may be `expected`. */
function fits(dim: number | undefined, expected: number): boolean {
  return dim !== undefined && (dim < 0 || expected < 0 || dim === expected);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(outputs: readonly DetectionOutputShape[]): string {
  return outputs.length === 0 ? '(none)' : outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(', ');
}
