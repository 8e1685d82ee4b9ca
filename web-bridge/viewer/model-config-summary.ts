/**
 * The main settings of a served model's completed configuration (proto3 JSON of `ModelConfig`,
 * as `PushModel` and `GetModel` answer), each with where its value came from: model.yaml, the
 * ONNX file, Sluice's inference (with its reason), a server setting, or the default.
 */

/** Proto3 JSON of a `TensorSpec`. */
interface TensorJson {
  readonly name?: string;
  readonly dtype?: string;
  readonly shape?: readonly string[];
}

/** Proto3 JSON of the parts of a `ModelConfig` summarised here; enums by name, defaults left out. */
export interface ModelConfigJson {
  readonly name?: string;
  readonly inputs?: readonly TensorJson[];
  readonly maxBatchSize?: number;
  readonly preprocessing?: {
    readonly input?: string;
    readonly width?: number;
    readonly height?: number;
    readonly resizeMode?: string;
    readonly stride?: number;
    readonly layout?: string;
    readonly channelOrder?: string;
    readonly padValue?: number;
  };
  /** One key, the postprocessor's kind (`detection`, `textDetection`...), holding its options. */
  readonly postprocessor?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly labels?: readonly string[];
}

/** Proto3 JSON of a `ConfigSource`. */
export interface ConfigSourceJson {
  /** Field path in snake_case (`preprocessing.resize_mode`). */
  readonly field?: string;
  readonly origin?: string;
  readonly reason?: string;
}

/** One line of the summary. */
export interface ConfigSetting {
  /** Stable key, for styling and tests (`resize`, `postprocessor`...). */
  readonly key: string;
  /** What the setting is, for people. */
  readonly setting: string;
  readonly value: string;
  /** Where the value came from: `model.yaml`, `ONNX file`, `inferred`, `server setting` or `default`. */
  readonly origin: string;
  /** Why Sluice inferred it; '' for values it did not infer. */
  readonly reason: string;
}

const ORIGINS: Readonly<Record<string, string>> = {
  CONFIG_ORIGIN_MODEL_YAML: 'model.yaml',
  CONFIG_ORIGIN_ONNX: 'ONNX file',
  CONFIG_ORIGIN_INFERRED: 'inferred',
  CONFIG_ORIGIN_OVERRIDE: 'server setting',
};

/** What each postprocessor turns the outputs into, by its JSON key. */
const ANSWERS: Readonly<Record<string, string>> = {
  classification: 'top-k classes',
  detection: 'boxes with labels',
  segmentation: 'a class mask',
  peaks: 'points',
  textDetection: 'text boxes',
  ctcDecode: 'text',
};

const RESIZES: Readonly<Record<string, string>> = {
  RESIZE_MODE_STRETCH: 'stretch',
  RESIZE_MODE_LETTERBOX: 'letterbox',
  RESIZE_MODE_FIT_STRIDE: 'fit, sides rounded to the stride',
  RESIZE_MODE_FIT_HEIGHT: 'fit the height, padded to the width',
};

const DETECTION_LAYOUTS: Readonly<Record<string, string>> = {
  DETECTION_LAYOUT_YOLOV5: 'YOLOv5 [N, boxes, 5 + classes]',
  DETECTION_LAYOUT_YOLOV8: 'YOLOv8 [N, 4 + classes, boxes]',
  DETECTION_LAYOUT_BOXES_SCORES_CLASSES: 'separate boxes, scores and classes',
};

const ACTIVATIONS: Readonly<Record<string, string>> = {
  SCORE_ACTIVATION_UNSPECIFIED: 'softmax unless the outputs are already probabilities',
  SCORE_ACTIVATION_NONE: 'the outputs are the scores',
  SCORE_ACTIVATION_SOFTMAX: 'softmax',
  SCORE_ACTIVATION_SIGMOID: 'sigmoid per class',
};

/** `textDetection` as the server's model list spells kinds: `text_detection`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** An enum's name without its prefix: `LAYOUT_NCHW` gives `NCHW`; unset (left out of the JSON) gives `fallback`. */
function enumName(value: string | undefined, prefix: string, fallback: string): string {
  return value === undefined || value === `${prefix}UNSPECIFIED` ? fallback : value.replace(prefix, '');
}

function describeTensor(spec: TensorJson | undefined): string {
  if (spec === undefined) return '';
  const shape = (spec.shape ?? []).map((d, i) => (d === '-1' ? (i === 0 ? 'N' : '?') : d)).join(', ');
  return `${spec.name ?? ''} ${enumName(spec.dtype, 'DATA_TYPE_', '?').toLowerCase()} [${shape}]`;
}

/** The source of the first of `fields` that has one, a field recorded under it counting as its own. */
function sourceOf(sources: readonly ConfigSourceJson[], fields: readonly string[]): { origin: string; reason: string } {
  for (const field of fields) {
    const found = sources.find((s) => s.field === field) ?? sources.find((s) => s.field?.startsWith(`${field}.`) === true);
    if (found !== undefined) return { origin: ORIGINS[found.origin ?? ''] ?? 'default', reason: found.origin === 'CONFIG_ORIGIN_INFERRED' ? (found.reason ?? '') : '' };
  }
  return { origin: 'default', reason: '' };
}

/** What the postprocessor's options say: a detector's output layout, a classifier's top-k, else the output read. */
function postprocessorDetail(kind: string, options: Readonly<Record<string, unknown>>): { setting: string; value: string; field: string } {
  const field = `postprocessor.${snakeCase(kind)}`;
  const text = (key: string): string | undefined => (typeof options[key] === 'string' ? (options[key] as string) : undefined);
  switch (kind) {
    case 'detection': {
      const layout = text('layout');
      const boxes = enumName(text('boxFormat'), 'BOX_FORMAT_', '');
      return { setting: 'Output layout', value: `${DETECTION_LAYOUTS[layout ?? ''] ?? enumName(layout, 'DETECTION_LAYOUT_', 'guessed from the outputs')}${boxes === '' ? '' : `, boxes ${boxes}`}`, field: `${field}.layout` };
    }
    case 'classification': {
      const topK = typeof options['topK'] === 'number' ? options['topK'] : 5;
      const activation = options['softmax'] === true ? 'SCORE_ACTIVATION_SOFTMAX' : (text('activation') ?? '');
      return { setting: 'Postprocessor options', value: `top ${topK}, ${ACTIVATIONS[activation] ?? ACTIVATIONS['SCORE_ACTIVATION_UNSPECIFIED']}`, field };
    }
    default:
      return { setting: 'Postprocessor options', value: `reads ${text('output') ?? 'the first output'}`, field };
  }
}

/** The main settings of `config`, in the order a user checks them, each with its origin. */
export function summariseConfig(config: ModelConfigJson, sources: readonly ConfigSourceJson[]): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  const add = (key: string, setting: string, value: string, fields: readonly string[]): void => {
    settings.push({ key, setting, value, ...sourceOf(sources, fields) });
  };
  const pre = config.preprocessing;
  if (pre === undefined) {
    add('input', 'Input', `tensors (${(config.inputs ?? []).map(describeTensor).join(', ')})`, ['inputs']);
  } else {
    const input = config.inputs?.find((spec) => spec.name === pre.input) ?? config.inputs?.[0];
    add('input', 'Input', `image → ${describeTensor(input)}`, ['preprocessing.input', 'preprocessing']);
    add('size', 'Input size', `${pre.width ?? 0} × ${pre.height ?? 0}${pre.stride === undefined ? '' : `, stride ${pre.stride}`}`, ['preprocessing.width', 'preprocessing.height']);
    const resize = RESIZES[pre.resizeMode ?? ''] ?? 'stretch';
    add('resize', 'Resize', pre.resizeMode === 'RESIZE_MODE_LETTERBOX' ? `${resize}, padded with grey ${pre.padValue ?? 0}` : resize, ['preprocessing.resize_mode']);
    add('layout', 'Layout', enumName(pre.layout, 'LAYOUT_', 'NCHW'), ['preprocessing.layout']);
    add('channels', 'Channel order', enumName(pre.channelOrder, 'CHANNEL_ORDER_', 'RGB').replace('GRAY', 'grey'), ['preprocessing.channel_order']);
  }
  const [kind, options] = Object.entries(config.postprocessor ?? {})[0] ?? [];
  if (kind === undefined || options === undefined) {
    add('postprocessor', 'Postprocessor', 'none: answers carry the output tensors', ['postprocessor']);
  } else {
    add('postprocessor', 'Postprocessor', `${snakeCase(kind)}: ${ANSWERS[kind] ?? 'structured results'}`, ['postprocessor']);
    const detail = postprocessorDetail(kind, options);
    add('postprocessor-layout', detail.setting, detail.value, [detail.field]);
  }
  const batch = config.maxBatchSize ?? 0;
  add('batch', 'Batch size', batch > 1 ? `up to ${batch}` : '1 (items run one at a time)', ['max_batch_size']);
  const labels = config.labels ?? [];
  const shown = labels.slice(0, 3).join(', ');
  add('labels', 'Labels', labels.length === 0 ? 'none' : `${labels.length} (${shown}${labels.length > 3 ? ', …' : ''})`, ['labels', 'labels_file']);
  return settings;
}
