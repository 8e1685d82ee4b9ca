/**
 * `sluice batch --out`: one row per image, as CSV when the file name ends in `.csv`, otherwise as
 * JSON lines (the response as `sluice predict` prints it, with the path, label and top class first).
 */
import type { PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { LineWriter } from '../line-writer.js';
import { responseRecord } from '../response-record.js';
import { type BatchRecord, CSV_HEADER, csvFields, jsonLineHead } from './batch-record.js';
import { csvLine } from './csv.js';

export class BatchResultsWriter {
  readonly #lines: LineWriter;
  readonly #csv: boolean;

  private constructor(lines: LineWriter, csv: boolean) {
    this.#lines = lines;
    this.#csv = csv;
  }

  static async open(path: string): Promise<BatchResultsWriter> {
    const csv = path.toLowerCase().endsWith('.csv');
    const writer = new BatchResultsWriter(await LineWriter.open(path), csv);
    if (csv) await writer.#lines.write(csvLine([...CSV_HEADER]));
    return writer;
  }

  /** True when the results go to stdout (`--out -`). */
  get toStdout(): boolean {
    return this.#lines.toStdout;
  }

  async write(record: BatchRecord, response: PredictResponse | undefined): Promise<void> {
    if (this.#csv) return this.#lines.write(csvLine(csvFields(record)));
    const rest = response === undefined ? { id: record.path, error: { code: record.errorCode, message: record.error } } : responseRecord(response, undefined, record.latencyMs);
    const line = { ...jsonLineHead(record), ...rest };
    return this.#lines.write(JSON.stringify(line));
  }

  close(): Promise<void> {
    return this.#lines.close();
  }
}
