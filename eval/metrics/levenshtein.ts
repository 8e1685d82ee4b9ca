/**
 * Edit distance: the fewest insertions, deletions and substitutions that turn one sequence into
 * another.
 */

/** Levenshtein distance between two sequences, compared with `===`. */
export function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length < b.length) return levenshtein(b, a);
  // One row of the table at a time, over the shorter sequence.
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

/** Characters (code points) of a string. */
export function charsOf(text: string): string[] {
  return Array.from(text);
}

/** Words of a string: runs of non-space characters. */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}
