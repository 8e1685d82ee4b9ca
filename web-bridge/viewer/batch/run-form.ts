/**
 * The run's settings: model, dataset (one the bridge serves, or the files dropped on the page),
 * filters, how many images, how many samples, the window. `model` and `dataset` are reflected in
 * the page's URL (`batch.html?model=tiny-cnn&dataset=colours`), so a run can be linked to.
 */
import { type DatasetInfo, type DatasetItem, type ModelChoice, fetchDatasets, fetchItems, fetchModels } from './batch-api.js';
import { DatasetFilters } from './dataset-filters.js';
import type { DroppedImage } from './dropped-files.js';
import { selectItems } from './item-filter.js';
import type { RunItem } from './run-results.js';

/** Most images one run can take (the bridge's limit on `paths`). */
export const MAX_IMAGES = 100_000;
/** The dataset picker's value for the dropped files. */
const DROPPED = '\u0000dropped';
const RETRY_MS = 3000;
const PREFERRED_MODEL = 'tiny-cnn';

export interface RunFormElements {
  readonly modelSelect: HTMLSelectElement;
  readonly datasetSelect: HTMLSelectElement;
  readonly filters: HTMLElement;
  readonly limitInput: HTMLInputElement;
  readonly samplesInput: HTMLInputElement;
  readonly windowInput: HTMLInputElement;
  /** "N of M images match". */
  readonly matchLine: HTMLElement;
}

/** What a run is asked to do. */
export interface RunPlan {
  readonly model: ModelChoice;
  /** The dataset's name, or undefined for dropped files (sent with the run). */
  readonly dataset: string | undefined;
  /** What the summary names as the source. */
  readonly source: string;
  readonly items: readonly RunItem[];
  /** Classes of the dataset (the positive class is chosen among them). */
  readonly classes: readonly string[];
  readonly window: number;
}

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function clampInt(input: HTMLInputElement, min: number, max: number, fallback: number): number {
  const value = Math.round(Number(input.value));
  return input.value.trim() === '' || !Number.isFinite(value) ? fallback : Math.min(max, Math.max(min, value));
}

export class RunForm {
  readonly #el: RunFormElements;
  readonly #filters: DatasetFilters;
  readonly #onChange: () => void;
  readonly #onError: (message: string) => void;
  #models: ModelChoice[] = [];
  #datasets: DatasetInfo[] = [];
  #items: readonly (DatasetItem | DroppedImage)[] = [];
  #dropped: DroppedImage[] = [];
  #loading: AbortController | undefined;
  #ready = false;
  #matching = 0;

  /** `onChange` is called when what a run would take changes. */
  constructor(elements: RunFormElements, onChange: () => void, onError: (message: string) => void) {
    this.#el = elements;
    this.#onChange = onChange;
    this.#onError = onError;
    this.#filters = new DatasetFilters(elements.filters, () => this.#changed());
    elements.modelSelect.addEventListener('change', () => this.#changed());
    elements.datasetSelect.addEventListener('change', () => void this.#loadItems());
    elements.limitInput.addEventListener('input', () => this.#changed());
    elements.limitInput.max = String(MAX_IMAGES);
  }

  /** Whether the models and datasets are loaded. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Images that pass the filters (before the image limit). */
  get matching(): number {
    return this.#matching;
  }

  get model(): ModelChoice | undefined {
    return this.#models.find((m) => m.name === this.#el.modelSelect.value);
  }

  /** The chosen dataset's name, or '(dropped files)'. */
  get datasetName(): string {
    const value = this.#el.datasetSelect.value;
    return value === DROPPED ? '(dropped files)' : value;
  }

  /** Samples to show. */
  get samples(): number {
    return clampInt(this.#el.samplesInput, 0, 200, 24);
  }

  /** Loads the pickers (retrying until the bridge answers), then the chosen dataset's items. */
  async load(): Promise<void> {
    try {
      [this.#models, this.#datasets] = await Promise.all([fetchModels(), fetchDatasets()]);
    } catch (err: unknown) {
      this.#onError(`cannot list models and datasets: ${err instanceof Error ? err.message : String(err)}`);
      setTimeout(() => void this.load(), RETRY_MS);
      return;
    }
    const wanted = new URLSearchParams(location.search);
    const models = this.#el.modelSelect;
    models.replaceChildren(...this.#models.map((m) => option(m.name, m.postprocessor === '' ? m.name : `${m.name} (${m.postprocessor})`)));
    for (const [i, m] of this.#models.entries()) models.options[i]?.setAttribute('title', m.description);
    const model = [wanted.get('model'), PREFERRED_MODEL, this.#models.find((m) => m.postprocessor === 'classification')?.name].find((name) => this.#models.some((m) => m.name === name));
    if (model != null) models.value = model;
    this.#fillDatasets(wanted.get('dataset') ?? undefined);
    this.#ready = true;
    await this.#loadItems();
  }

  /** Makes the dropped images the chosen dataset. */
  useDropped(images: DroppedImage[]): void {
    this.#dropped = images;
    this.#fillDatasets(DROPPED);
    void this.#loadItems();
  }

  /** The run the form asks for, or why there can be none. */
  plan(): RunPlan | string {
    const model = this.model;
    if (model === undefined) return 'no image model to run';
    const value = this.#el.datasetSelect.value;
    if (value === '') return 'no dataset: start the bridge with --datasets, or drop images on the page';
    const items = this.#chosen();
    if (items.length === 0) return 'no image matches the filters';
    const dataset = value === DROPPED ? undefined : value;
    const classes = dataset === undefined ? [...new Set(this.#dropped.flatMap((d) => (d.label === undefined ? [] : [d.label])))].sort() : (this.#datasets.find((d) => d.name === dataset)?.classes ?? []);
    return { model, dataset, source: dataset ?? 'dropped files', items: items.map((i) => ('file' in i ? i : { path: i.path, label: i.label })), classes, window: clampInt(this.#el.windowInput, 1, 64, 8) };
  }

  #chosen(): (DatasetItem | DroppedImage)[] {
    return selectItems(this.#items, this.#filters.filters(), clampInt(this.#el.limitInput, 1, MAX_IMAGES, MAX_IMAGES));
  }

  #fillDatasets(wanted: string | undefined): void {
    const select = this.#el.datasetSelect;
    const previous = wanted ?? select.value;
    const options = this.#datasets.map((d) => option(d.name, `${d.name} (${d.images} images)`));
    if (this.#dropped.length > 0) options.push(option(DROPPED, `dropped files (${this.#dropped.length} images)`));
    select.replaceChildren(...options);
    if (options.some((o) => o.value === previous)) select.value = previous;
  }

  async #loadItems(): Promise<void> {
    this.#loading?.abort();
    const value = this.#el.datasetSelect.value;
    if (value === DROPPED) {
      this.#items = this.#dropped;
      const classes = [...new Set(this.#dropped.flatMap((d) => (d.label === undefined ? [] : [d.label])))].sort();
      this.#filters.show({ classes, unlabelled: this.#dropped.some((d) => d.label === undefined), columns: [] });
      this.#changed();
      return;
    }
    this.#items = [];
    this.#filters.show({ classes: [], unlabelled: false, columns: [] });
    this.#changed();
    const info = this.#datasets.find((d) => d.name === value);
    if (info === undefined) return;
    const loading = new AbortController();
    this.#loading = loading;
    try {
      const items = await fetchItems(info.name, loading.signal);
      if (loading.signal.aborted) return;
      this.#items = items;
      this.#filters.show({ classes: info.classes, unlabelled: items.some((i) => i.label === undefined), columns: info.columns });
      this.#changed();
    } catch (err: unknown) {
      if (!loading.signal.aborted) this.#onError(`cannot read dataset ${info.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #changed(): void {
    const matching = selectItems(this.#items, this.#filters.filters()).length;
    this.#matching = matching;
    const chosen = Math.min(matching, clampInt(this.#el.limitInput, 1, MAX_IMAGES, MAX_IMAGES));
    this.#el.matchLine.textContent = `${matching} of ${this.#items.length} images match the filters; a run takes ${chosen}`;
    const url = new URL(location.href);
    const model = this.#el.modelSelect.value;
    const dataset = this.#el.datasetSelect.value;
    if (model === '') url.searchParams.delete('model');
    else url.searchParams.set('model', model);
    if (dataset === '' || dataset === DROPPED) url.searchParams.delete('dataset');
    else url.searchParams.set('dataset', dataset);
    if (url.href !== location.href) history.replaceState(null, '', url);
    this.#onChange();
  }
}
