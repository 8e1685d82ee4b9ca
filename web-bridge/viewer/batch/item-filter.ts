/**
 * Which images of a dataset a run takes: ranges on number columns, chosen values of text columns
 * and of the label, then the first N of what is left (in the dataset's order).
 */

/** What a filter looks at of an image. */
export interface FilterableItem {
  readonly label: string | undefined;
  /** Metadata columns (dropped files have none). */
  readonly metadata?: Readonly<Record<string, number | string | null | undefined>>;
}

export type ItemFilter =
  /** `min <= value <= max`; an image without a number in the column is left out. */
  | { readonly kind: 'range'; readonly column: string; readonly min: number; readonly max: number }
  /** The column's value is one of `values`; an image without a value is left out. */
  | { readonly kind: 'choice'; readonly column: string; readonly values: ReadonlySet<string> }
  /** The label is one of `values`; `unlabelled` keeps images without one. */
  | { readonly kind: 'label'; readonly values: ReadonlySet<string>; readonly unlabelled: boolean };

function passes(item: FilterableItem, filter: ItemFilter): boolean {
  switch (filter.kind) {
    case 'range': {
      const value = item.metadata?.[filter.column];
      return typeof value === 'number' && value >= filter.min && value <= filter.max;
    }
    case 'choice': {
      const value = item.metadata?.[filter.column];
      return value !== null && value !== undefined && filter.values.has(String(value));
    }
    case 'label':
      return item.label === undefined ? filter.unlabelled : filter.values.has(item.label);
  }
}

/** The items that pass every filter, in their order, at most `limit` of them. */
export function selectItems<T extends FilterableItem>(items: readonly T[], filters: readonly ItemFilter[], limit: number = Infinity): T[] {
  const chosen: T[] = [];
  for (const item of items) {
    if (chosen.length >= limit) break;
    if (filters.every((f) => passes(item, f))) chosen.push(item);
  }
  return chosen;
}
