/**
 * The words beside and under the frame: the caption (frame, model, counts, times), the top classes
 * or a mask's class shares, and the text each detection read, marked when the OCR pipeline turned
 * its line upside down to read it.
 */
import type { PaintedFrame } from './overlay-painter.js';
import type { ViewResult } from './read-result.js';

/** Where `fillResultPanel` writes. */
export interface ResultPanelElements {
  readonly caption: HTMLElement;
  readonly classes: HTMLOListElement;
  readonly texts: HTMLUListElement;
}

const CLASSES_SHOWN = 5;
const TEXTS_SHOWN = 20;

function items(texts: readonly string[]): HTMLLIElement[] {
  return texts.map((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  });
}

/** Fills the caption and the lists for `result`, as painted on the frame. */
export function fillResultPanel(el: ResultPanelElements, result: ViewResult, painted: PaintedFrame, roundTripMs: number | undefined): void {
  const p = result.prediction;
  const shares = p?.segmentation?.classes ?? [];
  const segments = p?.segmentation === undefined ? '' : ` · ${shares.length} classes in the mask`;
  el.caption.textContent = `frame ${result.id} · ${result.model} · ${painted.detections} detections · ${painted.points} peaks${segments} · server ${(result.timings.totalUs / 1000).toFixed(0)} ms${roundTripMs === undefined ? '' : ` · round trip ${roundTripMs.toFixed(0)} ms`}`;
  // A model answers with top-k classes or with a mask's class shares, not both.
  const lines = [
    ...(p?.classes ?? []).map((c) => `${c.label} ${(c.score * 100).toFixed(1)}%`),
    ...shares.map((c) => `${c.label} ${(c.share * 100).toFixed(1)}% of the image`),
  ];
  el.classes.replaceChildren(...items(lines.slice(0, CLASSES_SHOWN)));
  el.texts.replaceChildren(
    ...items(
      (p?.detections ?? [])
        .map((d) => (d.text === '' ? `${d.label || 'region'} ${d.score.toFixed(2)}` : d.label === '180' ? `${d.text} (read upside down)` : d.text))
        .slice(0, TEXTS_SHOWN),
    ),
  );
}
