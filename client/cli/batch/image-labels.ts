/**
 * Ground truth for `sluice batch`: a CSV of `path,label` rows, or the folder-per-class layout
 * (`root/<class>/image.png`), where each image's label is the name of its folder.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { CliError } from '../cli-context.js';
import { parseCsv } from './csv.js';

/** The true label of an image path, or undefined when it has none. */
export type LabelOf = (path: string) => string | undefined;

/** `--labels folders`: the image's parent folder is its class. */
export const FOLDER_LABELS = 'folders';

/** Label lookup for `--labels <file.csv|folders>`. */
export async function loadLabels(spec: string): Promise<LabelOf> {
  if (spec === FOLDER_LABELS) return (path) => basename(dirname(resolve(path)));
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err: unknown) {
    throw new CliError(`cannot read ${spec}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const rows = parseCsv(text);
  const first = rows[0];
  if (first !== undefined && first[0]?.trim().toLowerCase() === 'path' && first[1]?.trim().toLowerCase() === 'label') rows.shift();
  const byPath = new Map<string, string>();
  const base = dirname(resolve(spec));
  for (const [line, row] of rows.entries()) {
    const path = row[0]?.trim() ?? '';
    const label = row[1]?.trim() ?? '';
    if (row.length < 2 || path === '' || label === '') {
      throw new CliError(`${spec}: row ${line + 1} must be path,label, got ${JSON.stringify(row.join(','))}`);
    }
    // Paths are relative to the CSV's folder; relative to the working folder works too.
    byPath.set(isAbsolute(path) ? path : resolve(base, path), label);
    if (!isAbsolute(path)) byPath.set(resolve(path), label);
  }
  if (byPath.size === 0) throw new CliError(`${spec} has no path,label rows`);
  return (path) => byPath.get(resolve(path));
}
