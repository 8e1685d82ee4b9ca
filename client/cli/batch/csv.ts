/**
 * Just enough CSV (RFC 4180) for label files and result tables: quoted fields, doubled quotes,
 * commas and newlines inside quotes.
 */

/** Parses CSV text into rows of fields; blank lines are skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRow = (): void => {
    row.push(field);
    if (row.length > 1 || (row[0] as string).trim() !== '') rows.push(row);
    row = [];
    field = '';
  };
  while (i < body.length) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
    i++;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** One CSV line (without the newline), quoting fields that need it. */
export function csvLine(fields: readonly (string | number | undefined)[]): string {
  return fields
    .map((value) => {
      const text = value === undefined ? '' : typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
      return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',');
}
