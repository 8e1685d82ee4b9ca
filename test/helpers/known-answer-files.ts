/**
 * The known-answer models of `models/tiny/`, written as bare ONNX files (no model.yaml) into a
 * temporary folder, for tests of serving a user's own model.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { buildBoxesScoresClassesModel } from '../../models/tiny/boxes-scores-classes-model.js';
import { buildLogitsClassifierModel } from '../../models/tiny/logits-classifier-model.js';
import { buildSegmentationModel } from '../../models/tiny/segmentation-model.js';
import { buildYolov5LayoutModel } from '../../models/tiny/yolov5-layout-model.js';
import { buildYolov8LayoutModel } from '../../models/tiny/yolov8-layout-model.js';

const BUILDERS = {
  yolov8: buildYolov8LayoutModel,
  yolov5: buildYolov5LayoutModel,
  detr: buildBoxesScoresClassesModel,
  segmenter: buildSegmentationModel,
  classifier: buildLogitsClassifierModel,
} as const;

/** A known-answer model's name. */
export type KnownAnswerModel = keyof typeof BUILDERS;

/** Paths of the written files by model name (`<dir>/<name>.onnx`), and their folder. */
export interface KnownAnswerFiles {
  readonly dir: string;
  readonly paths: Readonly<Record<KnownAnswerModel, string>>;
}

/** Writes every known-answer model into a temporary folder removed after the test. */
export async function writeKnownAnswerModels(t: Pick<TestContext, 'after'>): Promise<KnownAnswerFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-byo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = {} as Record<KnownAnswerModel, string>;
  for (const [name, build] of Object.entries(BUILDERS) as [KnownAnswerModel, () => Uint8Array][]) {
    paths[name] = join(dir, `${name}.onnx`);
    await writeFile(paths[name], build());
  }
  return { dir, paths };
}
