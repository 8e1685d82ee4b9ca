/**
 * What a task may want of an image item beyond its prediction: crops of its detections (for the
 * OCR pipeline) and a display image (for watchers). Both are made after the item's run, from the
 * image as the client sent it, one item at a time.
 *
 * Memory: a display image is decoded at the size it is shown at (sharp resizes while it decodes,
 * and shrinks JPEG and WebP on load), so it never costs a full-resolution copy. Crops need the
 * full-resolution pixels; they are decoded only when there is something to cut, and dropped as
 * soon as the crops are cut, so a worker holds at most one such copy at a time.
 */
import { performance } from 'node:perf_hooks';
import { toErrorData } from '../errors.js';
import { cropRegions } from './crop-regions.js';
import { decodeRgb, makeThumbnail } from './preprocess/image-preprocess.js';
import type { ImageData, ItemResult, Thumbnail } from './task.js';

/** What to add to an item, as its task asked. */
export interface ItemExtras {
  /** Height of each crop; 0 for no crops. */
  readonly cropHeight: number;
  /** Widest display image; 0 for none. */
  readonly thumbnailWidth: number;
  /** The worker's limit on decoded images. */
  readonly maxImagePixels: number;
}

type Served = ItemResult & { readonly ok: true };

/**
 * Adds crops and a display image to an answered item. Crops that cannot be cut turn the item into
 * an error (theirs: INVALID_IMAGE or IMAGE_TOO_LARGE for an image that will not decode); a display
 * image that cannot be made (no JPEG is taller or wider than 65535 pixels) is left out, and the
 * prediction stands. Nothing thrown here reaches the item's run-mates.
 */
export async function finishItem(result: Served, image: ImageData, extras: ItemExtras): Promise<ItemResult> {
  let finished: Served = result;
  if (extras.cropHeight > 0) {
    const start = performance.now();
    try {
      const crops = await cutCrops(result, image, extras);
      const postprocessUs = result.timings.postprocessUs + Math.round((performance.now() - start) * 1000);
      finished = { ...result, crops, timings: { ...result.timings, postprocessUs } };
    } catch (err: unknown) {
      return { ok: false, ...toErrorData(err), timings: result.timings };
    }
  }
  if (extras.thumbnailWidth > 0) {
    const thumbnail = await displayImage(image, extras);
    if (thumbnail !== undefined) finished = { ...finished, thumbnail };
  }
  return finished;
}

async function cutCrops(result: Served, image: ImageData, extras: ItemExtras): Promise<ImageData[]> {
  const quads = result.prediction.detections.map((d) => d.polygon);
  if (quads.length === 0) return [];
  // Local to this call: the pixels are garbage once the crops are cut.
  const pixels = await decodeRgb(image, { maxImagePixels: extras.maxImagePixels });
  return cropRegions(pixels, quads, extras.cropHeight);
}

async function displayImage(image: ImageData, extras: ItemExtras): Promise<Thumbnail | undefined> {
  try {
    return await makeThumbnail(image, extras.thumbnailWidth, extras.maxImagePixels);
  } catch {
    // Watchers see the item without a picture; the client that sent it is not told, as a display
    // image is none of its business.
    return undefined;
  }
}
