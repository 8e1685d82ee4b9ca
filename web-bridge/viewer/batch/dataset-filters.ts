/**
 * The filter controls of the chosen dataset: a from/to pair for each number column (an energy
 * bin, say), a box per value for each text column and for the labels. A control left at its
 * widest (the column's whole range, every box ticked) filters nothing, so images without a value
 * in that column stay in.
 */
import type { DatasetColumn } from './batch-api.js';
import type { ItemFilter } from './item-filter.js';

/** What the controls are built from. */
export interface FilterSpec {
  readonly classes: readonly string[];
  /** Whether some images have no label (a box for them). */
  readonly unlabelled: boolean;
  readonly columns: readonly DatasetColumn[];
}

type Control =
  | { readonly kind: 'range'; readonly column: string; readonly min: number; readonly max: number; readonly from: HTMLInputElement; readonly to: HTMLInputElement }
  | { readonly kind: 'choice'; readonly column: string; readonly boxes: readonly HTMLInputElement[] }
  | { readonly kind: 'label'; readonly boxes: readonly HTMLInputElement[]; readonly unlabelled: HTMLInputElement | undefined };

const UNLABELLED = 'unlabelled';

function checkbox(value: string, text: string, onChange: () => void): { label: HTMLLabelElement; box: HTMLInputElement } {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = true;
  box.value = value;
  box.addEventListener('change', onChange);
  const label = document.createElement('label');
  label.className = 'choice';
  label.append(box, ` ${text}`);
  return { label, box };
}

function group(title: string, ...content: HTMLElement[]): HTMLFieldSetElement {
  const set = document.createElement('fieldset');
  set.className = 'filter';
  const legend = document.createElement('legend');
  legend.textContent = title;
  set.append(legend, ...content);
  return set;
}

export class DatasetFilters {
  readonly #container: HTMLElement;
  readonly #onChange: () => void;
  #controls: Control[] = [];

  constructor(container: HTMLElement, onChange: () => void) {
    this.#container = container;
    this.#onChange = onChange;
  }

  /** Replaces the controls with those of another dataset. */
  show(spec: FilterSpec): void {
    const changed = (): void => this.#onChange();
    const controls: Control[] = [];
    const sets: HTMLElement[] = [];
    if (spec.classes.length > 1 || (spec.classes.length > 0 && spec.unlabelled)) {
      const boxes = spec.classes.map((c) => checkbox(c, c, changed));
      const unlabelled = spec.unlabelled ? checkbox(UNLABELLED, '(no label)', changed) : undefined;
      controls.push({ kind: 'label', boxes: boxes.map((b) => b.box), unlabelled: unlabelled?.box });
      sets.push(group('label', ...boxes.map((b) => b.label), ...(unlabelled === undefined ? [] : [unlabelled.label])));
    }
    for (const column of spec.columns) {
      if (column.kind === 'number') {
        const input = (value: number, name: string): HTMLInputElement => {
          const el = document.createElement('input');
          el.type = 'number';
          el.step = 'any';
          el.value = String(value);
          el.dataset['column'] = column.name;
          el.dataset['bound'] = name;
          el.setAttribute('aria-label', `${column.name} ${name}`);
          el.addEventListener('input', changed);
          return el;
        };
        const from = input(column.min, 'from');
        const to = input(column.max, 'to');
        const range = document.createElement('span');
        range.className = 'range';
        range.append(from, ' to ', to);
        controls.push({ kind: 'range', column: column.name, min: column.min, max: column.max, from, to });
        sets.push(group(column.name, range));
      } else {
        const boxes = column.values.map((v) => checkbox(v, v, changed));
        for (const b of boxes) b.box.dataset['column'] = column.name;
        controls.push({ kind: 'choice', column: column.name, boxes: boxes.map((b) => b.box) });
        sets.push(group(column.name, ...boxes.map((b) => b.label)));
      }
    }
    this.#controls = controls;
    this.#container.replaceChildren(...sets);
  }

  /** The filters the controls ask for (none for a control at its widest). */
  filters(): ItemFilter[] {
    const filters: ItemFilter[] = [];
    for (const c of this.#controls) {
      if (c.kind === 'range') {
        const from = c.from.value.trim() === '' ? c.min : Number(c.from.value);
        const to = c.to.value.trim() === '' ? c.max : Number(c.to.value);
        if (!Number.isFinite(from) || !Number.isFinite(to) || (from <= c.min && to >= c.max)) continue;
        filters.push({ kind: 'range', column: c.column, min: from, max: to });
      } else {
        const boxes = c.kind === 'label' && c.unlabelled !== undefined ? [...c.boxes, c.unlabelled] : c.boxes;
        if (boxes.every((b) => b.checked)) continue;
        const values = new Set(c.boxes.filter((b) => b.checked).map((b) => b.value));
        filters.push(c.kind === 'label' ? { kind: 'label', values, unlabelled: c.unlabelled?.checked === true } : { kind: 'choice', column: c.column, values });
      }
    }
    return filters;
  }
}
