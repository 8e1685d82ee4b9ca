/** A score for the positive class and whether the item truly is positive. */
export interface ScoredSample {
  readonly score: number;
  readonly positive: boolean;
}

/** Distinct scores, highest first, with the positives and negatives at each. */
export function groupByScore(samples: readonly ScoredSample[]): { score: number; positives: number; negatives: number }[] {
  const sorted = [...samples].sort((a, b) => b.score - a.score);
  const groups: { score: number; positives: number; negatives: number }[] = [];
  for (const s of sorted) {
    const last = groups.at(-1);
    const group = last !== undefined && last.score === s.score ? last : { score: s.score, positives: 0, negatives: 0 };
    if (group !== last) groups.push(group);
    if (s.positive) group.positives++;
    else group.negatives++;
  }
  return groups;
}
