/** `part / whole`, or NaN (null in JSON) when `whole` is 0: a ratio over nothing is not a score. */
export function ratio(part: number, whole: number): number {
  return whole === 0 ? Number.NaN : part / whole;
}
