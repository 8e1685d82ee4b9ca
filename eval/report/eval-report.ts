/**
 * What one evaluation run produced, as written to `eval/results/<time>.json`.
 */
import type { EvalImage } from '../dataset/eval-image.js';
import type { EvalScores } from '../evaluate/score-answers.js';

/** The set an evaluation ran on, in counts. */
export interface DatasetSummary {
  readonly seed: number;
  readonly images: number;
  readonly cleanImages: number;
  readonly noisyImages: number;
  readonly lines: number;
  readonly uprightLines: number;
  readonly upsideDownLines: number;
}

/** A whole run: when, on what, how long, and the scores. */
export interface EvalReport {
  /** ISO 8601. */
  readonly createdAt: string;
  readonly dataset: DatasetSummary;
  /** Models the server listed. */
  readonly models: readonly string[];
  readonly timings: { readonly generateMs: number; readonly modelsMs: number; readonly totalMs: number };
  readonly scores: EvalScores;
}

/** Counts of `images`. */
export function summarizeDataset(seed: number, images: readonly EvalImage[]): DatasetSummary {
  const lines = images.flatMap((image) => image.lines);
  return {
    seed,
    images: images.length,
    cleanImages: images.filter((i) => i.background === 'clean').length,
    noisyImages: images.filter((i) => i.background === 'noisy').length,
    lines: lines.length,
    uprightLines: lines.filter((l) => l.orientation === '0').length,
    upsideDownLines: lines.filter((l) => l.orientation === '180').length,
  };
}
