/**
 * Markdown tables and number formatting for the benchmark's report: readable in a terminal and
 * pasteable into the README.
 */

/** One cell of a table. */
export type Cell = string;

/** A Markdown table with columns padded to equal width; numeric-looking columns align right. */
export function markdownTable(header: readonly Cell[], rows: readonly (readonly Cell[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+[x%]?$|^-$|^n\/a$/.test(r[i] ?? '')));
  const line = (cells: readonly Cell[]): string => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A number with as many decimals as its size deserves. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A ratio as `1.23x`, or `-` when there is none. */
export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(2)}x`;
}

/** A byte count in B, KB or MB. */
export function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KB` : `${n} B`;
}
