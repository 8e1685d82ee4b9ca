/**
 * The datasets the bridge offers: each subfolder of the `datasets` folder is one, named after it.
 * Scanned once, at start, into a frozen catalogue; nothing on disk is listed again afterwards,
 * and only items found then can be read.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset, DatasetSummary } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { isFolderEntry, readDataset } from './read-dataset.js';
import { naturalCompare } from './natural-order.js';

export class DatasetCatalogue {
  /** A catalogue with no datasets: the bridge without a `datasets` folder. */
  static readonly EMPTY = new DatasetCatalogue(undefined, []);

  /** The folder scanned; undefined for `EMPTY`. */
  readonly dir: string | undefined;
  readonly #datasets: ReadonlyMap<string, Dataset>;
  readonly #summaries: readonly DatasetSummary[];

  private constructor(dir: string | undefined, datasets: readonly Dataset[]) {
    this.dir = dir;
    const sorted = [...datasets].sort((a, b) => naturalCompare(a.name, b.name));
    this.#datasets = new Map(sorted.map((d) => [d.name, d]));
    this.#summaries = Object.freeze(sorted.map((d) => d.summary));
    Object.freeze(this);
  }

  /**
   * Scans `dir`: every subfolder not starting with a dot is a dataset. Throws a `DatasetError`
   * (INVALID_DATASET) naming the folder, or the file and row, that is wrong.
   */
  static scan(dir: string): DatasetCatalogue {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((entry) => !entry.name.startsWith('.') && isFolderEntry(dir, entry))
        .map((entry) => entry.name);
    } catch (err: unknown) {
      throw new DatasetError('INVALID_DATASET', `cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return new DatasetCatalogue(
      dir,
      names.map((name) => readDataset(join(dir, name), name)),
    );
  }

  /** What `GET /api/datasets` lists, by name in natural order. */
  list(): readonly DatasetSummary[] {
    return this.#summaries;
  }

  /** The dataset called `name`; throws a `DatasetError` UNKNOWN_DATASET naming the ones there are. */
  get(name: string): Dataset {
    const dataset = this.#datasets.get(name);
    if (dataset !== undefined) return dataset;
    const known = [...this.#datasets.keys()];
    throw new DatasetError(
      'UNKNOWN_DATASET',
      `the bridge has no dataset ${JSON.stringify(name)}; ${known.length === 0 ? 'it was started without --datasets, or the folder holds none' : `datasets: ${known.join(', ')}`}`,
    );
  }
}
