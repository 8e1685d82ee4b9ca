/**
 * The OCR pipeline: detector -> crops of each box, cut straight from the original image in the
 * detector's worker -> orientation classifier (upside-down crops are turned) -> recogniser. Every
 * stage is an ordinary item for the scheduler, so crops of many frames and streams batch together
 * in the classifier and the recogniser.
 *
 * A frame may hold up to a thousand boxes. Its crops go through the stages a few at a time
 * (`CROPS_IN_FLIGHT`), each crop from the classifier straight on to the recogniser, so that one
 * busy page neither fills the stage queues other frames and streams share nor holds a buffer per
 * box in them. A stage that refuses or fails a crop fails the frame with that error: a page read
 * with holes in it would pass for a page read whole.
 */
import type { Detection, Timings } from '../../gen/ts/sluice/v1/inference_service.js';
import type { OcrPipeline as OcrStages } from '../../gen/ts/sluice/v1/model_config.js';
import { SluiceError } from '../errors.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { type ItemOutcome, type PreparedInput, type ScheduledItem, type SubmitOptions, failed, micros, now } from '../scheduler/work-item.js';
import type { ImageData } from '../worker/task.js';

const DEFAULT_CROP_HEIGHT = 48;
const DEFAULT_ROTATE_THRESHOLD = 0.9;
/**
 * Crops of one frame between the classifier and the recogniser at once: a full recogniser batch
 * (ppocr-rec takes 8), so a frame alone still fills one, and few enough that a frame's stage items
 * stay under the cancellation signal's listener warning (10).
 */
const CROPS_IN_FLIGHT = 8;

/** A crop as a stage's input: the worker made its buffer for it alone, so the buffer moves on. */
function cropInput(crop: ImageData, rotate180: boolean): PreparedInput {
  return { input: { kind: 'image', image: { ...crop, rotate180 } }, rows: 1, bytes: crop.data.byteLength, owned: crop.data.buffer as ArrayBuffer };
}

/** Copies a crop so that one copy can move to the classifier while the other waits for the recogniser. */
function copyOf(crop: ImageData): ImageData {
  return { ...crop, data: crop.data.slice() };
}

/** What the stages made of one crop. */
interface CropRead {
  readonly label: string;
  readonly text: string;
  readonly textScore: number;
}

/** One frame's crops on their way through the classifier and the recogniser. */
interface FrameRead {
  readonly crops: readonly ImageData[];
  readonly options: SubmitOptions;
  readonly reads: CropRead[];
  /** Outcomes of every stage item, for the frame's timings. */
  readonly stages: ItemOutcome[];
  /** Stops the frame's other stage items once one has failed. */
  readonly stop: () => void;
  /** Index of the next crop to start. */
  next: number;
  /** The error of the first stage item that failed: the frame's answer. */
  failure: SluiceError | undefined;
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
    // One signal per pipeline item, followed by each of its stage items; aborted also when a
    // stage fails, so that the frame's other crops stop too.
    const abort = new AbortController();
    const cancel = (): void => abort.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    const stageOptions: SubmitOptions = { ...options, signal: abort.signal };
    const detection = this.#scheduler.submit(this.#stages.detector, prepared, { ...stageOptions, cropHeight });
    const outcome = detection.outcome
      .then((found) => this.#read(found, stageOptions, cancel, acceptedAt))
      .catch((err: unknown) => failed(new SluiceError('INTERNAL', 'the ocr pipeline failed', { cause: err }), acceptedAt))
      .then((result) => {
        options.signal?.removeEventListener('abort', cancel);
        if (!result.ok) abort.abort();
        return result;
      });
    return { outcome, withdraw: (error) => detection.withdraw(error), cancel };
  }

  async #read(found: ItemOutcome, options: SubmitOptions, stop: () => void, acceptedAt: number): Promise<ItemOutcome> {
    if (!found.ok) return found;
    const crops = found.crops ?? [];
    const frame: FrameRead = {
      crops,
      options: { signal: options.signal, deadline: options.deadline },
      reads: new Array<CropRead>(crops.length),
      stages: [found],
      stop,
      next: 0,
      failure: undefined,
    };
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < Math.min(CROPS_IN_FLIGHT, crops.length); i++) lanes.push(this.#lane(frame));
    await Promise.all(lanes);
    if (frame.failure !== undefined) return { ok: false, error: frame.failure, timings: this.#timings(frame.stages, found, acceptedAt) };

    const detections: Detection[] = found.prediction.detections.map((d, i) => {
      const read = frame.reads[i];
      return { ...d, label: read?.label ?? '0', text: read?.text ?? '', textScore: read?.textScore ?? 0 };
    });
    return { ok: true, prediction: { ...found.prediction, detections }, timings: this.#timings(frame.stages, found, acceptedAt), batchSize: found.batchSize, thumbnail: found.thumbnail };
  }

  /** Takes the frame's next crop through the stages, then the next, until none is left or one fails. */
  async #lane(frame: FrameRead): Promise<void> {
    while (frame.failure === undefined && frame.next < frame.crops.length) {
      const index = frame.next++;
      const crop = frame.crops[index] as ImageData;
      let label = '0';
      if (this.#stages.classifier !== '') {
        const classified = await this.#scheduler.submit(this.#stages.classifier, cropInput(copyOf(crop), false), frame.options).outcome;
        frame.stages.push(classified);
        if (!classified.ok) return this.#fail(frame, classified.error);
        const top = classified.prediction.classes[0];
        if (top?.label === '180' && top.score >= (this.#stages.rotateThreshold ?? DEFAULT_ROTATE_THRESHOLD)) label = '180';
        // Another crop failed meanwhile: the frame is answered, this crop's read would be wasted.
        if (frame.failure !== undefined) return;
      }
      const read = await this.#scheduler.submit(this.#stages.recognizer, cropInput(crop, label === '180'), frame.options).outcome;
      frame.stages.push(read);
      if (!read.ok) return this.#fail(frame, read.error);
      frame.reads[index] = { label, text: read.prediction.text, textScore: read.prediction.textScore };
    }
  }

  /** The first failure answers the frame; the crops still waiting in a stage are withdrawn. */
  #fail(frame: FrameRead, error: SluiceError): void {
    if (frame.failure !== undefined) return;
    frame.failure = error;
    frame.stop();
  }

  /** The frame's time in each kind of work, summed over its stage items. */
  #timings(stages: readonly ItemOutcome[], found: ItemOutcome, acceptedAt: number): Timings {
    let preprocessUs = 0;
    let inferenceUs = 0;
    let postprocessUs = 0;
    for (const stage of stages) {
      preprocessUs += stage.timings.preprocessUs;
      inferenceUs += stage.timings.inferenceUs;
      postprocessUs += stage.timings.postprocessUs;
    }
    return { queueUs: found.timings.queueUs, preprocessUs, inferenceUs, postprocessUs, totalUs: micros(now() - acceptedAt) };
  }
}
