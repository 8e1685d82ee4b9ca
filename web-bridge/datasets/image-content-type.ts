/**
 * The image files a dataset holds, by extension, and the content type each is served with.
 */
import { extname } from 'node:path';

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.webp', 'image/webp'],
]);

/** The extensions of dataset images, for messages. */
export const DATASET_IMAGE_EXTENSIONS: readonly string[] = Object.freeze([...CONTENT_TYPES.keys()]);

/** The content type of an image file, from its extension (any case); undefined when it is not one a dataset holds. */
export function imageContentType(path: string): string | undefined {
  return CONTENT_TYPES.get(extname(path).toLowerCase());
}
