/**
 * One evaluation: generate the set, run it through a server's models, score the answers.
 */
import type { SluiceClient } from '../../client/index.js';
import { generateDataset } from '../dataset/generate-dataset.js';
import { type EvalReport, summarizeDataset } from '../report/eval-report.js';
import { runModels } from './run-models.js';
import { scoreAnswers } from './score-answers.js';

/** Options of `evaluate`. */
export interface EvaluateOptions {
  readonly seed: number;
  readonly images: number;
  readonly signal?: AbortSignal;
}

/** Evaluates the models served at `client` on `options.images` images of the set of `options.seed`. */
export async function evaluate(client: SluiceClient, options: EvaluateOptions): Promise<EvalReport> {
  const start = performance.now();
  const { models } = await client.listModels({ signal: options.signal });
  const images = await generateDataset({ seed: options.seed, images: options.images });
  const generated = performance.now();
  const answers = await runModels(client, images, options.signal);
  const ran = performance.now();
  const scores = scoreAnswers(images, answers);
  return {
    createdAt: new Date().toISOString(),
    dataset: summarizeDataset(options.seed, images),
    models: models.map((m) => m.name),
    timings: { generateMs: generated - start, modelsMs: ran - generated, totalMs: performance.now() - start },
    scores,
  };
}
