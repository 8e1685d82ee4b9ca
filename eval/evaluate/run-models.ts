/**
 * Runs the evaluation set through a server: the detector on whole images, the recogniser and the
 * classifier on ground-truth crops, and the `ocr` pipeline on whole images when it is served.
 */
import type { Prediction, SluiceClient } from '../../client/index.js';
import type { EvalImage } from '../dataset/eval-image.js';
import { cropLine } from './crop-line.js';
import { type ImageItem, predictImages } from './predict-images.js';

/** A detection as responses carry it (box, polygon, score; text and label from a pipeline). */
export type Detection = Prediction['detections'][number];

/** Models the evaluation uses. */
export const MODELS = { detector: 'ppocr-det', recognizer: 'ppocr-rec', classifier: 'ppocr-cls', pipeline: 'ocr' } as const;

/** What the models answered, indexed like the images and their lines. */
export interface ModelAnswers {
  /** Detections of `ppocr-det`, per image. */
  readonly detections: readonly (readonly Detection[])[];
  /** Text `ppocr-rec` read from each upright line's crop; null for upside-down lines, which it is not given. */
  readonly texts: readonly (readonly (string | null)[])[];
  /** Top label of `ppocr-cls` for each line's crop, as drawn. */
  readonly orientations: readonly (readonly string[])[];
  /** Detections of the `ocr` pipeline per image, or null when the server does not serve it. */
  readonly pipeline: readonly (readonly Detection[])[] | null;
}

/** True when the server lists a model called `name`. */
export async function serves(client: SluiceClient, name: string, signal?: AbortSignal): Promise<boolean> {
  const { models } = await client.listModels({ signal });
  return models.some((m) => m.name === name);
}

/** Sends everything; the models run side by side so that every worker stays busy. */
export async function runModels(client: SluiceClient, images: readonly EvalImage[], signal?: AbortSignal): Promise<ModelAnswers> {
  const whole: ImageItem[] = images.map((image) => ({ id: image.id, data: image.png }));
  const crops: (ImageItem & { upright: boolean })[] = [];
  for (const image of images) {
    for (const [i, line] of image.lines.entries()) {
      crops.push({ id: `${image.id}/${i}`, data: await cropLine(image, line), upright: line.orientation === '0' });
    }
  }
  const usePipeline = await serves(client, MODELS.pipeline, signal);
  const [detected, read, classified, piped] = await Promise.all([
    predictImages(client, MODELS.detector, whole, signal),
    predictImages(client, MODELS.recognizer, crops.filter((c) => c.upright), signal),
    predictImages(client, MODELS.classifier, crops, signal),
    usePipeline ? predictImages(client, MODELS.pipeline, whole, signal) : Promise.resolve(null),
  ]);

  const readById = new Map(crops.filter((c) => c.upright).map((c, i) => [c.id, read[i]!.text]));
  const labelById = new Map(crops.map((c, i) => [c.id, classified[i]!.classes[0]?.label ?? '']));
  return {
    detections: detected.map((p) => p.detections),
    texts: images.map((image) => image.lines.map((_, i) => readById.get(`${image.id}/${i}`) ?? null)),
    orientations: images.map((image) => image.lines.map((_, i) => labelById.get(`${image.id}/${i}`)!)),
    pipeline: piped === null ? null : piped.map((p) => p.detections),
  };
}
