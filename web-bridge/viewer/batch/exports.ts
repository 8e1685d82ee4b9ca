/**
 * A run's results as the files `sluice batch` writes: the CSV table (`--out x.csv`), JSON lines
 * (`--out x.jsonl`) and the self-contained HTML report (`--report`), made by the same code where
 * it runs in a browser, and saved through a download.
 */
import type { BatchEvaluation } from '../../../client/cli/batch/batch-evaluation.js';
import { type BatchRecord, CSV_HEADER, csvFields, jsonLineHead } from '../../../client/cli/batch/batch-record.js';
import { csvLine } from '../../../client/cli/batch/csv.js';
import { htmlReport } from '../../../client/cli/report/html-report.js';
import type { StreamSummary } from '../../../client/cli/stream/stream-summary.js';
import type { StoredResult } from './run-results.js';

/** The CSV table: a header, then one line per image. */
export function resultsCsv(records: readonly BatchRecord[]): string {
  return [csvLine([...CSV_HEADER]), ...records.map((r) => csvLine(csvFields(r)))].map((line) => `${line}\n`).join('');
}

/**
 * One JSON object per image, as `sluice batch --out x.jsonl` writes it: path, label, top class
 * and positive score first, then the response as `sluice predict` prints it (the bridge sends
 * the same proto3 JSON). `records` are the results', in the same order.
 */
export function resultsJsonl(results: readonly StoredResult[], records: readonly BatchRecord[]): string {
  return results
    .map((result, i) => {
      const record = records[i] as BatchRecord;
      const json = result.json;
      const line = {
        ...jsonLineHead(record),
        id: json.id ?? '',
        model: json.model ?? '',
        sequence: json.sequence ?? 0,
        latencyMs: Math.round(record.latencyMs * 1000) / 1000,
        ...json,
      };
      return `${JSON.stringify(line)}\n`;
    })
    .join('');
}

/** The HTML report of `sluice batch --report`. */
export function resultsReport(summary: StreamSummary, evaluation: BatchEvaluation, records: readonly BatchRecord[]): string {
  return htmlReport({ summary, evaluation, records, generatedAt: new Date() });
}

/** Offers `text` as a file to save. */
export function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference to the blob by now.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
