/**
 * Where one frame's time went: queue, preprocess, inference, postprocess and total, with the
 * batch it ran in, as a table and a stacked bar.
 */
import type { ViewResult } from './read-result.js';

const STAGES = [
  ['queue', 'queueUs'],
  ['preprocess', 'preprocessUs'],
  ['inference', 'inferenceUs'],
  ['postprocess', 'postprocessUs'],
] as const;

function ms(us: number): string {
  return `${(us / 1000).toFixed(1)} ms`;
}

function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

export function showTimings(panel: HTMLElement, result: ViewResult | undefined, roundTripMs: number | undefined): void {
  panel.replaceChildren();
  panel.classList.toggle('hint', result === undefined);
  if (result === undefined) {
    panel.textContent = 'No frame yet.';
    return;
  }
  const heading = document.createElement('p');
  heading.textContent = `frame ${result.id} · sequence ${result.sequence} · ${result.model} · ${result.kind}`;
  const bar = document.createElement('div');
  bar.className = 'timing-bar';
  const table = document.createElement('table');
  table.className = 'timing-table';
  const t = result.timings;
  const stagesUs = STAGES.reduce((sum, [, key]) => sum + t[key], 0);
  for (const [name, key] of STAGES) {
    const span = document.createElement('span');
    span.className = `stage-${name}`;
    span.style.width = `${stagesUs > 0 ? (100 * t[key]) / stagesUs : 0}%`;
    span.title = `${name} ${ms(t[key])}`;
    bar.append(span);
    const row = table.insertRow();
    const swatch = document.createElement('span');
    swatch.className = `swatch stage-${name}`;
    cell(row, name).prepend(swatch);
    cell(row, ms(t[key]));
  }
  const total = table.insertRow();
  cell(total, 'total (server)');
  cell(total, ms(t.totalUs));
  const batch = table.insertRow();
  cell(batch, 'batch size');
  cell(batch, String(result.batchSize));
  if (roundTripMs !== undefined) {
    const trip = table.insertRow();
    cell(trip, 'round trip (browser)');
    cell(trip, `${roundTripMs.toFixed(1)} ms`);
  }
  panel.append(heading, bar, table);
}
