/**
 * Turns a segmentation's mask PNG into a bitmap `paintFrame` can draw. The browser decodes the
 * palette into colours and the tRNS chunk into alpha, so the background class comes out
 * transparent with no work here.
 */
import type { ViewSegmentation } from './read-result.js';

/** The decoded mask of `segmentation`; undefined when there is none. Rejects on a PNG the browser cannot decode. */
export async function decodeMask(segmentation: ViewSegmentation | undefined): Promise<ImageBitmap | undefined> {
  if (segmentation === undefined || segmentation.maskPng.length === 0) return undefined;
  // The palette holds class colours, not colours of a photograph: no colour management.
  return createImageBitmap(new Blob([segmentation.maskPng], { type: 'image/png' }), { colorSpaceConversion: 'none' });
}
