/**
 * Small inline SVG charts for the HTML report: a curve in the unit square (ROC, precision/recall),
 * a confusion matrix heat map and an overlaid histogram. Plain strings, no assets, no scripts.
 */

const W = 360;
const H = 300;
const M = { left: 48, right: 16, top: 28, bottom: 40 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const x = (v: number): number => M.left + v * PW;
const y = (v: number): number => M.top + (1 - v) * PH;
const f = (v: number): string => v.toFixed(1);

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<line x1="${f(x(t))}" y1="${f(y(0))}" x2="${f(x(t))}" y2="${f(y(1))}" class="grid"/>` +
        `<line x1="${f(x(0))}" y1="${f(y(t))}" x2="${f(x(1))}" y2="${f(y(t))}" class="grid"/>` +
        `<text x="${f(x(t))}" y="${f(y(0) + 14)}" text-anchor="middle">${t}</text>` +
        `<text x="${f(x(0) - 6)}" y="${f(y(t) + 4)}" text-anchor="end">${t}</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">` +
    `<text x="${W / 2}" y="16" text-anchor="middle" class="title">${escapeXml(title)}</text>${ticks}` +
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" class="axes"/>${body}` +
    `<text x="${f(x(0.5))}" y="${H - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>` +
    `<text transform="translate(12 ${f(y(0.5))}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text></svg>`
  );
}

/** A curve through `points` (x, y in [0, 1]); `diagonal` draws the chance line. */
export function curveChart(title: string, xLabel: string, yLabel: string, points: readonly (readonly [number, number])[], diagonal: boolean): string {
  const path = points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${f(x(px))},${f(y(py))}`).join('');
  const chance = diagonal ? `<line x1="${f(x(0))}" y1="${f(y(0))}" x2="${f(x(1))}" y2="${f(y(1))}" class="chance"/>` : '';
  return frame(title, xLabel, yLabel, `${chance}<path d="${path}" class="curve"/>`);
}

/** Counts of `series` in `bins` equal bins over [0, 1], drawn as overlaid translucent bars. */
export function histogramChart(title: string, series: readonly { readonly name: string; readonly values: readonly number[]; readonly colour: string }[], bins = 20): string {
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of s.values) c[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
    return c;
  });
  const top = Math.max(1, ...counts.flat());
  const width = PW / bins;
  const bars = counts
    .map((c, si) =>
      c
        .map((n, b) => (n === 0 ? '' : `<rect x="${f(M.left + b * width + 1)}" y="${f(y(n / top))}" width="${f(width - 2)}" height="${f((n / top) * PH)}" fill="${series[si]?.colour}" fill-opacity="0.55"><title>${escapeXml(series[si]?.name ?? '')}: ${n}</title></rect>`))
        .join(''),
    )
    .join('');
  const legend = series
    .map((s, i) => `<rect x="${M.left + PW / 2 - 30}" y="${M.top + 8 + i * 16}" width="10" height="10" fill="${s.colour}" fill-opacity="0.55"/><text x="${M.left + PW / 2 - 16}" y="${M.top + 17 + i * 16}">${escapeXml(s.name)} (${s.values.length})</text>`)
    .join('');
  // The y axis runs from 0 to the tallest bar.
  return frame(title, 'score', `count, as a share of ${top}`, bars + legend);
}

/** The confusion matrix as a heat map: rows are true labels, columns predicted ones. */
export function confusionChart(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const n = labels.length;
  const cell = Math.max(28, Math.min(64, Math.floor(360 / Math.max(1, n))));
  const left = 16 + Math.min(120, 7 * Math.max(...labels.map((l) => l.length), 4));
  const top = 40;
  const size = n * cell;
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const cells = matrix
    .map((row, t) =>
      row
        .map((count, p) => {
          const share = (rowTotals[t] ?? 0) === 0 ? 0 : count / (rowTotals[t] as number);
          const fill = t === p ? `rgba(31,119,180,${(0.1 + 0.9 * share).toFixed(3)})` : `rgba(214,39,40,${(share === 0 ? 0 : 0.15 + 0.85 * share).toFixed(3)})`;
          const dark = share > 0.55;
          return (
            `<rect x="${left + p * cell}" y="${top + t * cell}" width="${cell}" height="${cell}" fill="${fill}" class="cell"><title>true ${escapeXml(labels[t] ?? '')}, predicted ${escapeXml(labels[p] ?? '')}: ${count}</title></rect>` +
            `<text x="${left + p * cell + cell / 2}" y="${top + t * cell + cell / 2 + 4}" text-anchor="middle"${dark ? ' fill="#fff"' : ''}>${count}</text>`
          );
        })
        .join(''),
    )
    .join('');
  const names = labels
    .map(
      (l, i) =>
        `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(l)}</text>` +
        `<text x="${left + i * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${escapeXml(l)}</text>`,
    )
    .join('');
  const w = Math.max(left + size + 16, 260);
  const h = top + size + 30;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="confusion matrix">` +
    `<text x="${left + size / 2}" y="14" text-anchor="middle" class="title">predicted</text>${cells}${names}` +
    `<text x="${w / 2}" y="${h - 8}" text-anchor="middle">rows: true label; columns: predicted label</text></svg>`
  );
}
