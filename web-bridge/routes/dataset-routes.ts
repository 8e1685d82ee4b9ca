/**
 * The datasets of the batch evaluation page, from the catalogue scanned at start:
 * - `GET /api/datasets`: name, image count, classes and metadata columns of each;
 * - `GET /api/datasets/:name/items`: every item (path, label, metadata) in natural path order;
 * - `GET /api/datasets/:name/image?path=`: one item's bytes, with its content type.
 * An unknown dataset is 404 UNKNOWN_DATASET; a path that is not an item is 404 UNKNOWN_ITEM: only
 * items are read, never another file, never outside the dataset folder. The access hook lets
 * only the `infer` role in: evaluating is running models.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DatasetCatalogue } from '../datasets/dataset-catalogue.js';
import type { DatasetItem, DatasetSummary } from '../datasets/dataset.js';
import { DatasetError, type DatasetErrorCode } from '../datasets/dataset-error.js';

/** Body of `GET /api/datasets`. */
export interface DatasetList {
  readonly datasets: readonly DatasetSummary[];
}

/** Body of `GET /api/datasets/:name/items`. */
export interface DatasetItems {
  readonly items: readonly DatasetItem[];
}

/** Body of a 404 from the dataset routes. */
export interface DatasetRefusal {
  readonly error: { readonly code: Extract<DatasetErrorCode, 'UNKNOWN_DATASET' | 'UNKNOWN_ITEM' | 'ITEM_UNREADABLE'>; readonly message: string };
}

/** The browser may keep an image this long: a dataset's files do not change while the bridge runs. */
const IMAGE_MAX_AGE_S = 3600;

function notFound(reply: FastifyReply, err: unknown): DatasetRefusal {
  if (!(err instanceof DatasetError) || (err.code !== 'UNKNOWN_DATASET' && err.code !== 'UNKNOWN_ITEM' && err.code !== 'ITEM_UNREADABLE')) throw err;
  reply.code(404).header('cache-control', 'no-store');
  return { error: { code: err.code, message: err.message } };
}

/** Registers the dataset routes. */
export function registerDatasetRoutes(app: FastifyInstance, datasets: DatasetCatalogue): void {
  app.get('/api/datasets', async (): Promise<DatasetList> => ({ datasets: datasets.list() }));

  app.get<{ Params: { name: string } }>('/api/datasets/:name/items', async (request, reply): Promise<DatasetItems | DatasetRefusal> => {
    try {
      return { items: datasets.get(request.params.name).items };
    } catch (err: unknown) {
      return notFound(reply, err);
    }
  });

  app.get<{ Params: { name: string }; Querystring: { path?: unknown } }>('/api/datasets/:name/image', async (request, reply) => {
    try {
      const dataset = datasets.get(request.params.name);
      const path = request.query.path;
      // A repeated ?path= arrives as a list: no item is called that.
      const opened = await dataset.open(typeof path === 'string' ? path : '');
      return reply
        .type(opened.contentType)
        .header('content-length', opened.size)
        .header('cache-control', `private, max-age=${IMAGE_MAX_AGE_S}`)
        .header('x-content-type-options', 'nosniff')
        // The stream closes the file when it ends, fails or the client goes away.
        .send(opened.handle.createReadStream());
    } catch (err: unknown) {
      return notFound(reply, err);
    }
  });
}
