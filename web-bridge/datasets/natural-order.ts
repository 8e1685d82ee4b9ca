/**
 * The order datasets, items, classes and text values are listed in: numbers inside names compare
 * as numbers (`img2.png` before `img10.png`), as `sluice batch` orders its files.
 */

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Compares two strings in natural order; for `Array.prototype.sort`. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
