/**
 * Images dropped on the page (or picked with its file and folder buttons) as a dataset. Files in
 * a folder take the folder's name as their label, as `sluice batch --labels folders` does:
 * drop `colours/` holding `red/1.png` and `blue/2.png` and the labels are red and blue. Loose
 * files have none.
 */
import type { RunItem } from './run-results.js';

const IMAGE_NAME = /\.(png|jpe?g|webp)$/i;

/** A dropped image: `path` is relative to what was dropped (the file's name for a loose file). */
export interface DroppedImage extends RunItem {
  readonly file: File;
}

/** The label of a file at `path` (relative, `/`-separated): its folder's name, if it is in one. */
export function folderLabel(path: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/** The bridge's datasets take these images (by name), hidden ones left out; dropped files too. */
function isImage(path: string): boolean {
  const name = path.split('/').at(-1) ?? '';
  return !name.startsWith('.') && IMAGE_NAME.test(name);
}

/** `files` as images (others left out), sorted by path, numbers in natural order. */
export function droppedImages(files: Iterable<{ readonly file: File; readonly path: string }>): DroppedImage[] {
  const images: DroppedImage[] = [];
  for (const { file, path } of files) {
    const relative = path.replace(/^\/+/, '');
    if (isImage(relative)) images.push({ file, path: relative, label: folderLabel(relative) });
  }
  const collator = new Intl.Collator(undefined, { numeric: true });
  return images.sort((a, b) => collator.compare(a.path, b.path));
}
