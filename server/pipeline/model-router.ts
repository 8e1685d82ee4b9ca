/**
 * Sends an item to the scheduler, or through the stages of a pipeline, depending on the model.
 * Request handlers talk to this, so they need not know which is which.
 */
import type { LoadedModel } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { PreparedInput, ScheduledItem, SubmitOptions } from '../scheduler/work-item.js';
import { OcrPipeline } from './ocr-pipeline.js';

export class ModelRouter {
  readonly #scheduler: Scheduler;
  #pipelines: ReadonlyMap<string, OcrPipeline> = new Map();
  #pipelineItems = 0;

  constructor(repository: ModelRepository, scheduler: Scheduler) {
    this.#scheduler = scheduler;
    this.syncModels(repository);
  }

  /** Rebuilds the pipelines from the repository after a model is loaded or unloaded. */
  syncModels(repository: ModelRepository): void {
    this.#pipelines = new Map(
      repository.list().flatMap((m) => (m.pipeline === undefined ? [] : [[m.name, new OcrPipeline(m.pipeline, this.#scheduler)] as const])),
    );
  }

  /** Queues `prepared` for `model`; the outcome never rejects. */
  submit(model: LoadedModel, prepared: PreparedInput, options: SubmitOptions): ScheduledItem {
    const pipeline = this.#pipelines.get(model.name);
    if (pipeline === undefined) return this.#scheduler.submit(model.name, prepared, options);
    this.#pipelineItems++;
    const item = pipeline.submit(prepared, options);
    return {
      outcome: item.outcome.finally(() => {
        this.#pipelineItems--;
      }),
      withdraw: item.withdraw,
      cancel: item.cancel,
    };
  }

  /** Resolves when no item is waiting or running, pipeline stages included. */
  async whenIdle(): Promise<void> {
    // A pipeline item is between stages while the scheduler is briefly idle: check both, repeatedly.
    for (;;) {
      await this.#scheduler.whenIdle();
      if (this.#pipelineItems === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5).unref());
    }
  }
}
