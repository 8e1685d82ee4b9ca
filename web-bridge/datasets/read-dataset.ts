/**
 * Scans one dataset folder, in either form:
 * - `labels.csv` with a header row: `file` (path relative to the folder), `label`, and any other
 *   columns as metadata;
 * - otherwise class folders, `<class>/<image>`: the label is the folder's name.
 * Images are .png .jpg .jpeg .webp; hidden entries (leading dot) are skipped. Every item's real
 * path (links resolved) must lie inside the folder. Synchronous: it runs once, while the bridge's
 * options are checked, as the TLS files are read.
 */
import { type Dirent, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseCsv } from '../../client/cli/batch/csv.js';
import { Dataset, type DatasetItem, isInside } from './dataset.js';
import { DatasetError } from './dataset-error.js';
import { DATASET_IMAGE_EXTENSIONS, imageContentType } from './image-content-type.js';
import { type MetadataColumn, metadataColumns } from './metadata-columns.js';
import { naturalCompare } from './natural-order.js';

/** The labels file that selects the CSV form. */
export const LABELS_FILE = 'labels.csv';

function invalid(message: string): DatasetError {
  return new DatasetError('INVALID_DATASET', message);
}

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function isHidden(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.'));
}

/** The real path of `path` when it is a file inside `root`; otherwise why not. */
function fileInside(root: string, path: string): { readonly ok: true } | { readonly ok: false; readonly why: string } {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err: unknown) {
    return { ok: false, why: `cannot be read (${errnoCode(err)})` };
  }
  if (!isInside(root, real)) return { ok: false, why: 'lies outside the dataset folder (through a link)' };
  if (!statSync(real).isFile()) return { ok: false, why: 'is not a file' };
  return { ok: true };
}

function entries(dir: string, shown: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => !entry.name.startsWith('.'));
  } catch (err: unknown) {
    throw invalid(`cannot read ${shown}: ${errnoCode(err)}`);
  }
}

/** Whether `entry` of `dir` is a folder, following a link (to be checked for where it leads). */
export function isFolderEntry(dir: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

function fromClassFolders(name: string, root: string, shown: string): Dataset {
  const items: DatasetItem[] = [];
  for (const folder of entries(root, shown)) {
    if (!isFolderEntry(root, folder)) continue;
    const classDir = join(root, folder.name);
    for (const file of entries(classDir, `${shown}/${folder.name}`)) {
      if (imageContentType(file.name) === undefined || isFolderEntry(classDir, file)) continue;
      const path = `${folder.name}/${file.name}`;
      const found = fileInside(root, join(classDir, file.name));
      if (!found.ok) throw invalid(`${shown}/${path} ${found.why}`);
      items.push({ path, label: folder.name, metadata: Object.freeze({}) });
    }
  }
  if (items.length === 0) {
    throw invalid(`${shown} has neither a ${LABELS_FILE} nor class folders holding images (${DATASET_IMAGE_EXTENSIONS.join(' ')})`);
  }
  return finish(name, root, items, []);
}

/** `file` of a labels.csv row as an item path, or why it cannot be one. */
function itemPath(file: string): string | { readonly why: string } {
  const slashed = file.replaceAll('\\', '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return { why: 'must be relative to the dataset folder' };
  const path = posix.normalize(slashed);
  if (path === '..' || path.startsWith('../')) return { why: 'must lie inside the dataset folder' };
  return path;
}

function fromLabelsCsv(name: string, root: string, shown: string): Dataset {
  const csvName = `${shown}/${LABELS_FILE}`;
  let text: string;
  try {
    text = readFileSync(join(root, LABELS_FILE), 'utf8');
  } catch (err: unknown) {
    throw invalid(`cannot read ${csvName}: ${errnoCode(err)}`);
  }
  const [header, ...rows] = parseCsv(text);
  if (header === undefined) throw invalid(`${csvName} is empty: it needs a header row with file and label columns`);
  const names = header.map((column) => column.trim());
  const fileColumn = names.findIndex((n) => n.toLowerCase() === 'file');
  const labelColumn = names.findIndex((n) => n.toLowerCase() === 'label');
  if (fileColumn < 0 || labelColumn < 0) throw invalid(`${csvName} needs a header row with a file and a label column, got ${JSON.stringify(header.join(','))}`);
  const seen = new Set<string>();
  for (const [c, column] of names.entries()) {
    if (column === '') throw invalid(`${csvName}: column ${c + 1} of the header has no name`);
    if (seen.has(column.toLowerCase())) throw invalid(`${csvName}: the header names column ${JSON.stringify(column)} twice`);
    seen.add(column.toLowerCase());
  }
  const metadata = names.flatMap((column, c) => (c === fileColumn || c === labelColumn ? [] : [{ column, c }]));

  const kept: { readonly path: string; readonly label: string; readonly cells: readonly string[] }[] = [];
  const paths = new Set<string>();
  for (const [r, row] of rows.entries()) {
    const where = `${csvName} row ${r + 1}`;
    if (row.length > names.length) throw invalid(`${where} has ${row.length} fields; the header has ${names.length}`);
    const file = (row[fileColumn] ?? '').trim();
    const label = (row[labelColumn] ?? '').trim();
    if (file === '' || label === '') throw invalid(`${where} needs a file and a label, got ${JSON.stringify(row.join(','))}`);
    const path = itemPath(file);
    if (typeof path !== 'string') throw invalid(`${where}: ${JSON.stringify(file)} ${path.why}`);
    if (isHidden(path)) continue;
    if (imageContentType(path) === undefined) throw invalid(`${where}: ${JSON.stringify(file)} is not an image (${DATASET_IMAGE_EXTENSIONS.join(' ')})`);
    if (paths.has(path)) throw invalid(`${where}: ${JSON.stringify(file)} is listed twice`);
    const found = fileInside(root, join(root, ...path.split('/')));
    if (!found.ok) throw invalid(`${where}: ${shown}/${path} ${found.why}`);
    paths.add(path);
    kept.push({ path, label, cells: metadata.map(({ c }) => row[c] ?? '') });
  }
  if (kept.length === 0) throw invalid(`${csvName} lists no images`);
  const table = metadataColumns(
    metadata.map(({ column }) => column),
    kept.map((row) => row.cells),
  );
  const items = kept.map((row, i) => ({ path: row.path, label: row.label, metadata: table.rows[i] ?? Object.freeze({}) }));
  return finish(name, root, items, table.columns);
}

function finish(name: string, root: string, items: DatasetItem[], columns: readonly MetadataColumn[]): Dataset {
  items.sort((a, b) => naturalCompare(a.path, b.path));
  const classes = [...new Set(items.map((item) => item.label))].sort(naturalCompare);
  return new Dataset(name, root, items, columns, classes);
}

/**
 * Scans the dataset folder `dir`, called `name`; `shown` names it in messages. Throws a
 * `DatasetError` (INVALID_DATASET) saying what is wrong and where.
 */
export function readDataset(dir: string, name: string, shown = dir): Dataset {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (err: unknown) {
    throw invalid(`cannot read ${shown}: ${errnoCode(err)}`);
  }
  let hasLabels = false;
  try {
    hasLabels = statSync(join(root, LABELS_FILE)).isFile();
  } catch {
    // No labels.csv: the class-folder form.
  }
  return hasLabels ? fromLabelsCsv(name, root, shown) : fromClassFolders(name, root, shown);
}
