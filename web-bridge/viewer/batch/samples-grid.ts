/**
 * Sample images of a run with their answer painted over them (boxes, peaks, masks, text, the top
 * class: the live viewer's `paintFrame`) and a caption; misclassified images and errors first on
 * request. Tiles are built once per image and kept while the run lasts.
 */
import type { BatchRecord } from '../../../client/cli/batch/batch-record.js';
import { decodeMask } from '../decode-mask.js';
import { paintFrame } from '../overlay-painter.js';
import { readResult } from '../read-result.js';
import type { RunItem, StoredResult } from './run-results.js';
import { isMistake, sampleOrder } from './sample-order.js';

/** Longest side of a tile's picture, in canvas pixels: small images are scaled up so that labels stay legible. */
const TILE = 192;

function caption(r: BatchRecord): { text: string; wrong: boolean } {
  if (r.errorCode !== undefined) return { text: `${r.errorCode}: ${r.error ?? ''}`, wrong: true };
  const predicted = r.score !== undefined ? `${r.predicted ?? ''} ${(r.score * 100).toFixed(1)}%` : (r.predicted ?? '');
  const wrong = isMistake(r);
  return { text: r.label === undefined ? predicted : `${predicted} · true ${r.label}`, wrong };
}

export class SamplesGrid {
  readonly #container: HTMLElement;
  readonly #imageUrl: (item: RunItem) => string;
  readonly #tiles = new Map<number, HTMLElement>();
  #shown: number[] = [];
  #painting = 0;

  /** `imageUrl` says where an item's image is (the bridge's image route, or an object URL of a dropped file). */
  constructor(container: HTMLElement, imageUrl: (item: RunItem) => string) {
    this.#container = container;
    this.#imageUrl = imageUrl;
  }

  /** Tiles shown. */
  get shown(): number {
    return this.#shown.length;
  }

  /** Tiles whose picture is still loading or being painted. */
  get painting(): number {
    return this.#painting;
  }

  /** Shows `count` samples of `results` (`records` are theirs, in the same order). */
  show(results: readonly StoredResult[], records: readonly BatchRecord[], count: number, mistakesFirst: boolean): void {
    const order = sampleOrder(records, count, mistakesFirst);
    const indices = order.map((i) => (results[i] as StoredResult).index);
    if (indices.join(',') === this.#shown.join(',')) return;
    this.#shown = indices;
    this.#container.replaceChildren(...order.map((i) => this.#tile(results[i] as StoredResult, records[i] as BatchRecord)));
  }

  /** Forgets every tile (a new run). */
  clear(): void {
    this.#tiles.clear();
    this.#shown = [];
    this.#container.replaceChildren();
  }

  #tile(result: StoredResult, record: BatchRecord): HTMLElement {
    const existing = this.#tiles.get(result.index);
    if (existing !== undefined) return existing;
    const figure = document.createElement('figure');
    figure.className = 'sample';
    figure.dataset['index'] = String(result.index);
    const canvas = document.createElement('canvas');
    canvas.width = TILE;
    canvas.height = TILE;
    const text = caption(record);
    figure.classList.toggle('wrong', text.wrong);
    const figcaption = document.createElement('figcaption');
    const path = document.createElement('span');
    path.className = 'path';
    path.textContent = result.item.path;
    path.title = result.item.path;
    const answer = document.createElement('span');
    answer.textContent = text.text;
    figcaption.append(path, answer);
    figure.append(canvas, figcaption);
    this.#tiles.set(result.index, figure);
    this.#painting++;
    void this.#paint(canvas, result).finally(() => this.#painting--);
    return figure;
  }

  async #paint(canvas: HTMLCanvasElement, result: StoredResult): Promise<void> {
    const view = readResult(result.json);
    const image = new Image();
    image.src = this.#imageUrl(result.item);
    let mask: ImageBitmap | undefined;
    try {
      await image.decode();
      mask = await decodeMask(view.prediction?.segmentation).catch(() => undefined);
      const scale = TILE / Math.max(image.naturalWidth, image.naturalHeight, 1);
      paintFrame(canvas, image, Math.max(1, Math.round(image.naturalWidth * scale)), Math.max(1, Math.round(image.naturalHeight * scale)), view, mask);
      canvas.dataset['painted'] = 'true';
    } catch {
      canvas.dataset['painted'] = 'failed';
      canvas.title = 'the image could not be loaded';
    } finally {
      mask?.close();
    }
  }
}
