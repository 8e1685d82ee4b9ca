/**
 * The bridge's REST routes the batch page reads: the models (`/api/models`), the datasets
 * (`/api/datasets`), a dataset's items and the URL of one of its images.
 */
import type { DatasetItemJson, DatasetSummary, MetadataColumn } from '../../protocol/dataset-json.js';

/** An image model the page can run. */
export interface ModelChoice {
  readonly name: string;
  readonly description: string;
  /** Postprocessor kind ("classification", "detection", …); '' when the model answers with tensors. */
  readonly postprocessor: string;
}

/** A metadata column of a dataset. */
export type DatasetColumn = MetadataColumn;

/** A dataset the page can run. */
export type DatasetInfo = DatasetSummary;

/** One image of a dataset; `label` is undefined when it has none (files dropped on the page). */
export type DatasetItem = Omit<DatasetItemJson, 'label' | 'metadata'> & {
  readonly label: string | undefined;
  readonly metadata: Readonly<Record<string, number | string | null | undefined>>;
};

/** A route's refusal: its status and the error code of its body (e.g. UNKNOWN_DATASET), or HTTP_<status>. */
export class BatchApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'BatchApiError';
    this.code = code;
    this.status = status;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { cache: 'no-store', ...(signal === undefined ? {} : { signal }) });
  const body = (await response.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string } };
  if (!response.ok) throw new BatchApiError(body.error?.code ?? `HTTP_${response.status}`, response.status, body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

interface ModelJson {
  readonly name?: string;
  readonly description?: string;
  readonly state?: string;
  readonly acceptsImages?: boolean;
  readonly postprocessor?: string;
}

/** The models that take images and are not unavailable. */
export async function fetchModels(signal?: AbortSignal): Promise<ModelChoice[]> {
  const { models = [] } = await getJson<{ models?: ModelJson[] }>('/api/models', signal);
  return models
    .filter((m) => m.acceptsImages === true && m.state !== 'MODEL_STATE_UNAVAILABLE' && m.name !== undefined)
    .map((m) => ({ name: m.name ?? '', description: m.description ?? '', postprocessor: m.postprocessor ?? '' }));
}

/**
 * The model's class labels from its configuration (`GET /api/models/<name>`, what `sluice batch`
 * reads with GetModel); undefined when the bridge cannot say (no such route, or no labels).
 */
export async function fetchModelLabels(model: string, signal?: AbortSignal): Promise<string[] | undefined> {
  try {
    const { config } = await getJson<{ config?: { labels?: unknown } }>(`/api/models/${encodeURIComponent(model)}`, signal);
    const labels = config?.labels;
    return Array.isArray(labels) && labels.length > 0 && labels.every((l) => typeof l === 'string') ? (labels as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export async function fetchDatasets(signal?: AbortSignal): Promise<DatasetInfo[]> {
  const { datasets = [] } = await getJson<{ datasets?: Partial<DatasetInfo>[] }>('/api/datasets', signal);
  return datasets
    .filter((d) => typeof d.name === 'string')
    .map((d) => ({ name: d.name ?? '', images: d.images ?? 0, classes: d.classes ?? [], columns: d.columns ?? [] }));
}

interface ItemJson {
  readonly path?: string;
  readonly label?: string | null;
  readonly metadata?: Record<string, number | string | null>;
}

export async function fetchItems(dataset: string, signal?: AbortSignal): Promise<DatasetItem[]> {
  const { items = [] } = await getJson<{ items?: ItemJson[] }>(`/api/datasets/${encodeURIComponent(dataset)}/items`, signal);
  return items
    .filter((i) => typeof i.path === 'string')
    .map((i) => ({ path: i.path ?? '', label: typeof i.label === 'string' && i.label !== '' ? i.label : undefined, metadata: i.metadata ?? {} }));
}

/** Where the bridge serves an item's image. */
export function datasetImageUrl(dataset: string, path: string): string {
  return `/api/datasets/${encodeURIComponent(dataset)}/image?path=${encodeURIComponent(path)}`;
}
