/**
 * Recognition scores over pairs of (true text, read text): character and word error rates from
 * edit distances, and exact-line accuracy. Comparison is case-sensitive; both texts are trimmed
 * and runs of white space count as one space.
 */
import { charsOf, levenshtein, wordsOf } from './levenshtein.js';
import { ratio } from './ratio.js';

/** Totals over the lines added to a `TextTally`, and the rates they give. */
export interface TextScore {
  readonly lines: number;
  /** Lines read exactly. */
  readonly exactLines: number;
  /** exactLines / lines. For single-word lines this is word accuracy. */
  readonly lineAccuracy: number;
  /** Characters of the true texts. */
  readonly chars: number;
  /** Summed character edit distances. */
  readonly charErrors: number;
  /** Character error rate: charErrors / chars (can pass 1 when the reader adds text). */
  readonly cer: number;
  /** 1 - CER, at least 0. */
  readonly charAccuracy: number;
  /** Words of the true texts. */
  readonly words: number;
  /** Summed word edit distances. */
  readonly wordErrors: number;
  /** Word error rate: wordErrors / words. */
  readonly wer: number;
  /** 1 - WER, at least 0. */
  readonly wordAccuracy: number;
}

/** Trims and collapses white space. */
export function normalizeText(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Accumulates recognition results; `score()` may be called at any time. */
export class TextTally {
  #lines = 0;
  #exactLines = 0;
  #chars = 0;
  #charErrors = 0;
  #words = 0;
  #wordErrors = 0;

  /** Adds one line: what it says and what was read. */
  add(truth: string, read: string): this {
    const t = normalizeText(truth);
    const r = normalizeText(read);
    this.#lines += 1;
    if (t === r) this.#exactLines += 1;
    const truthChars = charsOf(t);
    this.#chars += truthChars.length;
    this.#charErrors += levenshtein(truthChars, charsOf(r));
    const truthWords = wordsOf(t);
    this.#words += truthWords.length;
    this.#wordErrors += levenshtein(truthWords, wordsOf(r));
    return this;
  }

  score(): TextScore {
    const cer = ratio(this.#charErrors, this.#chars);
    const wer = ratio(this.#wordErrors, this.#words);
    return {
      lines: this.#lines,
      exactLines: this.#exactLines,
      lineAccuracy: ratio(this.#exactLines, this.#lines),
      chars: this.#chars,
      charErrors: this.#charErrors,
      cer,
      charAccuracy: Math.max(0, 1 - cer),
      words: this.#words,
      wordErrors: this.#wordErrors,
      wer,
      wordAccuracy: Math.max(0, 1 - wer),
    };
  }
}

/** A text score of pairs in one call. */
export function textScore(pairs: Iterable<readonly [truth: string, read: string]>): TextScore {
  const tally = new TextTally();
  for (const [truth, read] of pairs) tally.add(truth, read);
  return tally.score();
}
