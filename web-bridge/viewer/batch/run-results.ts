/**
 * The answers of one run, kept whole so that everything shown can be recomputed from them
 * without asking the server again: records for another positive class, metrics at another
 * threshold, samples in another order, exports.
 */
import { type BatchRecord, type RecordedResponse, batchRecord } from '../../../client/cli/batch/batch-record.js';
import type { PredictResponseJson } from '../../protocol/predict-response-json.js';
import { recordedResponse } from './recorded-response.js';

/** An image of a run: a dataset item, or a file dropped on the page. */
export interface RunItem {
  /** The dataset's relative path, or the dropped file's path within what was dropped. */
  readonly path: string;
  readonly label: string | undefined;
  /** The dropped file (undefined for dataset items, whose image the bridge serves). */
  readonly file?: File;
}

export interface StoredResult {
  /** Position of the image in the run. */
  readonly index: number;
  readonly item: RunItem;
  readonly json: PredictResponseJson;
  readonly response: RecordedResponse;
  /** The server's time for the item, accepted to answered (`timings.totalUs`), in milliseconds. */
  readonly latencyMs: number;
}

/** What the model answers with, as far as the answers so far tell. */
export interface AnswerKinds {
  /** Predictions with classes (a classifier). */
  readonly classified: number;
  readonly detections: number;
  readonly points: number;
  readonly texts: number;
  readonly masks: number;
  readonly predictions: number;
}

export class RunResults {
  readonly #results: StoredResult[] = [];
  /** Class labels by the model's class index, learnt from the top-k lists. */
  readonly #labels = new Map<number, string>();
  /** The model's labels from its configuration, once known. */
  #configLabels: readonly string[] | undefined;
  #cache: { positive: string | undefined; records: BatchRecord[] } | undefined;
  #kinds = { classified: 0, detections: 0, points: 0, texts: 0, masks: 0, predictions: 0 };

  /** Stores the answer to `item`; `json` is the result's `response`. */
  add(index: number, item: RunItem, json: PredictResponseJson): StoredResult {
    const stored: StoredResult = { index, item, json, response: recordedResponse(json), latencyMs: (json.timings?.totalUs ?? 0) / 1000 };
    this.#results.push(stored);
    const p = json.prediction;
    if (p !== undefined && json.error === undefined && json.dropped === undefined) {
      const k = this.#kinds;
      k.predictions++;
      if ((p.classes ?? []).length > 0) k.classified++;
      k.detections += p.detections?.length ?? 0;
      k.points += p.points?.length ?? 0;
      if ((p.text ?? '') !== '') k.texts++;
      if (p.segmentation !== undefined) k.masks++;
      for (const c of p.classes ?? []) if (c.label !== undefined) this.#labels.set(c.index ?? 0, c.label);
    }
    if (this.#cache !== undefined) this.#cache.records.push(this.#record(stored, this.#cache.positive));
    return stored;
  }

  get results(): readonly StoredResult[] {
    return this.#results;
  }

  get kinds(): AnswerKinds {
    return { ...this.#kinds };
  }

  /** Sets the model's labels, from its configuration (as `sluice batch` has them). */
  setModelLabels(labels: readonly string[]): void {
    this.#configLabels = labels;
  }

  /**
   * The model's labels in its class order: its configuration's, else as far as the answers have
   * named them (a top-k list names k classes; with k = every class, as tiny-cnn answers, that is
   * the model's whole list).
   */
  modelLabels(): string[] {
    if (this.#configLabels !== undefined) return [...this.#configLabels];
    return [...this.#labels].sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  }

  /** Every answer as `sluice batch` records it, with `positive`'s score kept. */
  records(positive: string | undefined): readonly BatchRecord[] {
    if (this.#cache === undefined || this.#cache.positive !== positive) this.#cache = { positive, records: this.#results.map((r) => this.#record(r, positive)) };
    return this.#cache.records;
  }

  #record(r: StoredResult, positive: string | undefined): BatchRecord {
    return batchRecord(r.item.path, r.response, r.latencyMs, r.item.label, positive);
  }
}
