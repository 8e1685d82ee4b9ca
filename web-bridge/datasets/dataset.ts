/**
 * One labelled dataset as the bridge scanned it: its items (path, label, metadata), classes and
 * metadata columns, frozen; and the one way to reach an item's file, which only opens paths that
 * are items and checks again, when it opens one, that its real path is inside the dataset folder.
 */
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DatasetError } from './dataset-error.js';
import { imageContentType } from './image-content-type.js';
import type { DatasetItemJson, DatasetSummary, MetadataColumn } from '../protocol/dataset-json.js';

/** One image of a dataset, as the API sends it; its path is relative to the dataset folder, `/`-separated. */
export type DatasetItem = DatasetItemJson;
export type { DatasetSummary };

/** An item's file, open: read it or stream it, then close it (streams close it themselves). */
export interface OpenedItem {
  readonly item: DatasetItem;
  readonly handle: FileHandle;
  readonly size: number;
  readonly contentType: string;
}

/** Whether `path` (absolute, real) is `root` or below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel);
}

export class Dataset {
  readonly name: string;
  /** The dataset folder's real path. */
  readonly root: string;
  /** In natural order of `path`. */
  readonly items: readonly DatasetItem[];
  readonly summary: DatasetSummary;
  readonly #byPath: ReadonlyMap<string, DatasetItem>;

  /** `items` must be in order, with unique paths, each naming a file inside `root`. */
  constructor(name: string, root: string, items: readonly DatasetItem[], columns: readonly MetadataColumn[], classes: readonly string[]) {
    this.name = name;
    this.root = root;
    this.items = Object.freeze(items.map((item) => Object.freeze(item)));
    this.#byPath = new Map(this.items.map((item) => [item.path, item]));
    this.summary = Object.freeze({ name, images: items.length, classes: Object.freeze([...classes]), columns: Object.freeze([...columns]) });
    Object.freeze(this);
  }

  /** The item called `path` exactly, or undefined. */
  item(path: string): DatasetItem | undefined {
    return this.#byPath.get(path);
  }

  /**
   * Opens item `path`'s file. Rejects with a `DatasetError`: UNKNOWN_ITEM when `path` is not an
   * item or its file now resolves outside the dataset folder (a link changed since the scan),
   * ITEM_UNREADABLE when it cannot be opened, ITEM_TOO_LARGE when it has more than `maxBytes`.
   */
  async open(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<OpenedItem> {
    const item = this.#byPath.get(path);
    if (item === undefined) throw new DatasetError('UNKNOWN_ITEM', `${JSON.stringify(path)} is not an image of dataset ${JSON.stringify(this.name)}`);
    let real: string;
    try {
      real = await realpath(join(this.root, ...item.path.split('/')));
    } catch (err: unknown) {
      throw new DatasetError('ITEM_UNREADABLE', `cannot read ${item.path} of dataset ${JSON.stringify(this.name)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!isInside(this.root, real)) throw new DatasetError('UNKNOWN_ITEM', `${item.path} of dataset ${JSON.stringify(this.name)} now lies outside its folder`);
    let handle: FileHandle;
    try {
      handle = await open(real, 'r');
    } catch (err: unknown) {
      throw new DatasetError('ITEM_UNREADABLE', `cannot read ${item.path} of dataset ${JSON.stringify(this.name)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new DatasetError('ITEM_UNREADABLE', `${item.path} of dataset ${JSON.stringify(this.name)} is no longer a file`);
      if (info.size > maxBytes) throw new DatasetError('ITEM_TOO_LARGE', `${item.path} has ${info.size} bytes; the bridge forwards at most ${maxBytes}`);
      return { item, handle, size: info.size, contentType: imageContentType(item.path) ?? 'application/octet-stream' };
    } catch (err: unknown) {
      await handle.close();
      throw err;
    }
  }

  /** Item `path`'s bytes; rejects as `open` does. */
  async read(path: string, maxBytes?: number): Promise<Buffer> {
    const { handle } = await this.open(path, maxBytes);
    try {
      return await handle.readFile();
    } catch (err: unknown) {
      throw new DatasetError('ITEM_UNREADABLE', `cannot read ${path} of dataset ${JSON.stringify(this.name)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    } finally {
      await handle.close();
    }
  }
}
