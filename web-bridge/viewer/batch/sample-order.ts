/**
 * Which samples the page shows, in which order: the run's order, or its mistakes first.
 */
import type { BatchRecord } from '../../../client/cli/batch/batch-record.js';

/** Most samples shown. */
export const MAX_SAMPLES = 200;

/** Whether the answer is wrong: an error, or a scored answer whose top class is not the true label (as the CSV's `correct` column says). */
export function isMistake(r: BatchRecord): boolean {
  return r.errorCode !== undefined || (r.label !== undefined && r.predicted !== undefined && r.score !== undefined && r.label !== r.predicted);
}

/** Positions (into `records`) of the samples to show, mistakes first when asked. */
export function sampleOrder(records: readonly BatchRecord[], count: number, mistakesFirst: boolean): number[] {
  const all = records.map((_, i) => i);
  const ordered = mistakesFirst ? [...all.filter((i) => isMistake(records[i] as BatchRecord)), ...all.filter((i) => !isMistake(records[i] as BatchRecord))] : all;
  return ordered.slice(0, Math.min(count, MAX_SAMPLES));
}
