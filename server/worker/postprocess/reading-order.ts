import type { Detection } from '../../../gen/ts/sluice/v1/inference_service.js';

/**
 * Sorts detections top to bottom, then left to right within a line, in place. Boxes on one line
 * rarely share a top edge exactly, so a plain (y, x) sort would zig-zag: a box joins the current
 * line when its vertical centre lies above the bottom of the line's first box.
 */
export function sortReadingOrder(detections: Detection[]): Detection[] {
  detections.sort((a, b) => a.yMin - b.yMin || a.xMin - b.xMin);
  let start = 0;
  while (start < detections.length) {
    const lineBottom = detections[start].yMax;
    let end = start + 1;
    while (end < detections.length) {
      const d = detections[end];
      if ((d.yMin + d.yMax) / 2 > lineBottom) break;
      end++;
    }
    if (end - start > 1) {
      const line = detections.slice(start, end).sort((a, b) => a.xMin - b.xMin || a.yMin - b.yMin);
      for (let i = 0; i < line.length; i++) detections[start + i] = line[i];
    }
    start = end;
  }
  return detections;
}
