/**
 * The OCR pipeline: detector -> crops of each box, cut straight from the original image in the
 * detector's worker -> orientation classifier (upside-down crops are turned) -> recogniser. Every
 * stage is an ordinary item for the scheduler, so crops of many frames and streams batch together
 * in the classifier and the recogniser.
 */
import { setMaxListeners } from 'node:events';
import type { Detection, Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import type { OcrPipeline as OcrStages } from '../../gen/ts/sluice/v1/model_config.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { type ItemOutcome, type PreparedInput, type ScheduledItem, type SubmitOptions, micros, now } from '../scheduler/work-item.js';
import type { ImageData } from '../worker/task.js';

const DEFAULT_CROP_HEIGHT = 48;
const DEFAULT_ROTATE_THRESHOLD = 0.9;


/** A crop as a stage's input: the worker made its buffer for it alone, so the buffer moves on. */
function cropInput(crop: ImageData, rotate180: boolean): PreparedInput {
  return { input: { kind: 'image', image: { ...crop, rotate180 } }, rows: 1, bytes: crop.data.byteLength, owned: crop.data.buffer as ArrayBuffer };
}

/** Copies a crop so that one copy can move to the classifier while the other waits for the recogniser. */
function copyOf(crop: ImageData): ImageData {
  return { ...crop, data: crop.data.slice() };
}

/** The first stage outcome that means the whole item must stop: cancelled, or out of time. */
function firstStopped(outcomes: readonly ItemOutcome[]): ItemOutcome | undefined {
  return outcomes.find((o) => !o.ok && (o.error.code === 'CANCELLED' || o.error.code === 'DEADLINE_EXCEEDED'));
}

export class OcrPipeline {
  readonly #stages: OcrStages;
  readonly #scheduler: Scheduler;

  constructor(stages: OcrStages, scheduler: Scheduler) {
    this.#stages = stages;
    this.#scheduler = scheduler;
  }

  /**
   * Runs the stages for one image. Withdrawing works while the detector has not started;
   * cancelling stops the item at any stage: stages not yet started never run.
   */
  submit(prepared: PreparedInput, options: SubmitOptions): ScheduledItem {
    const acceptedAt = now();
    const cropHeight = this.#stages.cropHeight || DEFAULT_CROP_HEIGHT;
    // One signal per pipeline item, followed by each of its stage items (one per text box and stage).
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const cancel = (): void => abort.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    const stageOptions: SubmitOptions = { ...options, signal: abort.signal };
    const detection = this.#scheduler.submit(this.#stages.detector, prepared, { ...stageOptions, cropHeight });
    const outcome = detection.outcome
      .then((found) => this.#read(found, stageOptions, acceptedAt))
      .finally(() => options.signal?.removeEventListener('abort', cancel));
    return { outcome, withdraw: (error) => detection.withdraw(error), cancel };
  }

  async #read(found: ItemOutcome, options: SubmitOptions, acceptedAt: number): Promise<ItemOutcome> {
    if (!found.ok) return found;
    const crops = found.crops ?? [];
    const stageOptions: SubmitOptions = { signal: options.signal, deadline: options.deadline };
    const orientations = await this.#orientations(crops, stageOptions);
    if (!Array.isArray(orientations)) return orientations;
    const reads = await Promise.all(
      crops.map((crop, i) => this.#scheduler.submit(this.#stages.recognizer, cropInput(crop, orientations[i]?.turned === true), stageOptions).outcome),
    );
    const stopped = firstStopped(reads);
    if (stopped !== undefined) return stopped;

    const detections: Detection[] = found.prediction.detections.map((d, i) => {
      const read = reads[i];
      const text = read?.ok === true ? read.prediction.text : '';
      const textScore = read?.ok === true ? read.prediction.textScore : 0;
      return { ...d, label: orientations[i]?.label ?? '0', text, textScore };
    });
    const stages = [found, ...(orientations.flatMap((o) => (o.outcome === undefined ? [] : [o.outcome]))), ...reads];
    const sum = (key: keyof Timings): number => stages.reduce((total, s) => total + (s.timings[key] ?? 0), 0);
    const timings: Timings = {
      queueUs: found.timings.queueUs,
      preprocessUs: sum('preprocessUs'),
      inferenceUs: sum('inferenceUs'),
      postprocessUs: sum('postprocessUs'),
      totalUs: micros(now() - acceptedAt),
    };
    return { ok: true, prediction: { ...found.prediction, detections }, timings, batchSize: found.batchSize, thumbnail: found.thumbnail };
  }

  /** Classifies each crop's orientation; crops the classifier cannot judge count as upright. */
  async #orientations(
    crops: readonly ImageData[],
    options: SubmitOptions,
  ): Promise<{ label: string; turned: boolean; outcome: ItemOutcome | undefined }[] | ItemOutcome> {
    if (this.#stages.classifier === '') return crops.map(() => ({ label: '0', turned: false, outcome: undefined }));
    const threshold = this.#stages.rotateThreshold ?? DEFAULT_ROTATE_THRESHOLD;
    const outcomes = await Promise.all(crops.map((crop) => this.#scheduler.submit(this.#stages.classifier, cropInput(copyOf(crop), false), options).outcome));
    const stopped = firstStopped(outcomes);
    if (stopped !== undefined) return stopped;
    return outcomes.map((outcome) => {
      const top = outcome.ok ? outcome.prediction.classes[0] : undefined;
      const turned = top?.label === '180' && top.score >= threshold;
      return { label: turned ? '180' : '0', turned, outcome };
    });
  }
}
