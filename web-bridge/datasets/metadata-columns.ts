/**
 * The metadata columns of a labels.csv: what kind each is, its range or its values, and each
 * row's values converted to that kind. A column whose every non-empty value parses as a finite
 * number is `number`; any other is `text`.
 */
import type { MetadataColumn, MetadataValue } from '../protocol/dataset-json.js';
import { naturalCompare } from './natural-order.js';

export type { MetadataColumn, MetadataValue, NumberColumn, TextColumn } from '../protocol/dataset-json.js';

/** The columns and, per row, its non-empty values by column name (empty cells are left out). */
export interface MetadataTable {
  readonly columns: readonly MetadataColumn[];
  readonly rows: readonly Readonly<Record<string, MetadataValue>>[];
}

function asNumber(text: string): number | undefined {
  // Number('') is 0 and Number(' 1 ') is 1: only a cell with something in it is a number.
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Describes the columns `names` from `cells` (one array per row, in the order of `names`, empty
 * string for an empty cell). A column with no value at all is `text` with no values.
 */
export function metadataColumns(names: readonly string[], cells: readonly (readonly string[])[]): MetadataTable {
  const columns: MetadataColumn[] = names.map((name, c) => {
    const present = cells.map((row) => (row[c] ?? '').trim()).filter((value) => value !== '');
    const numbers = present.map(asNumber);
    if (present.length > 0 && numbers.every((n) => n !== undefined)) {
      const values = numbers as number[];
      // A loop, not Math.min(...values): a spread of 100 000 arguments can overflow the stack.
      let min = Infinity;
      let max = -Infinity;
      for (const value of values) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      return Object.freeze({ name, kind: 'number', min, max });
    }
    return Object.freeze({ name, kind: 'text', values: Object.freeze([...new Set(present)].sort(naturalCompare)) });
  });
  const rows = cells.map((row) => {
    // No prototype: a column may be called `__proto__`.
    const values = Object.create(null) as Record<string, MetadataValue>;
    for (const [c, column] of columns.entries()) {
      const text = (row[c] ?? '').trim();
      if (text === '') continue;
      values[column.name] = column.kind === 'number' ? (asNumber(text) as number) : text;
    }
    return Object.freeze(values);
  });
  return { columns: Object.freeze(columns), rows };
}
