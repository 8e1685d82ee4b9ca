/**
 * The typefaces lines are drawn in. librsvg finds them through fontconfig and silently falls back
 * to another family when one is missing, so `missingFontFamilies()` lets the runner say so.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** A typeface as SVG names it. */
export interface FontFace {
  /** Short name used in reports, e.g. `serif-italic`. */
  readonly name: string;
  readonly family: string;
  readonly weight: 'normal' | 'bold';
  readonly style: 'normal' | 'italic';
}

/** DejaVu ships with most Linux distributions and with the fontconfig of sharp's users. */
export const FONT_FACES: readonly FontFace[] = [
  { name: 'sans', family: 'DejaVu Sans', weight: 'normal', style: 'normal' },
  { name: 'sans-bold', family: 'DejaVu Sans', weight: 'bold', style: 'normal' },
  { name: 'serif', family: 'DejaVu Serif', weight: 'normal', style: 'normal' },
  { name: 'serif-italic', family: 'DejaVu Serif', weight: 'normal', style: 'italic' },
  { name: 'mono', family: 'DejaVu Sans Mono', weight: 'normal', style: 'normal' },
];

/** Font sizes in pixels; lines pick one of them. */
export const FONT_SIZES: readonly number[] = [20, 24, 28, 32, 40, 48, 56];

/** The families of `FONT_FACES` that fontconfig does not know, or [] when `fc-list` is not available. */
export async function missingFontFamilies(): Promise<string[]> {
  let listed: string;
  try {
    listed = (await promisify(execFile)('fc-list', [':', 'family'])).stdout;
  } catch {
    return [];
  }
  const known = new Set(listed.split('\n').flatMap((line) => line.split(',').map((f) => f.trim())));
  return [...new Set(FONT_FACES.map((f) => f.family))].filter((family) => !known.has(family));
}
