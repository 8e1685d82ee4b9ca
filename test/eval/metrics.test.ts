import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracyScore } from '../../eval/metrics/accuracy-score.js';
import { boundsOf, iou, quadOf } from '../../eval/metrics/boxes.js';
import { detectionScore } from '../../eval/metrics/detection-score.js';
import { charsOf, levenshtein, wordsOf } from '../../eval/metrics/levenshtein.js';
import { matchBoxes } from '../../eval/metrics/match-boxes.js';
import { missCause } from '../../eval/metrics/miss-cause.js';
import { TextTally, textScore } from '../../eval/metrics/text-score.js';
import { formatTable, percent } from '../../eval/report/format-table.js';

/** A box of height 10 spanning [x0, x1): IoU between such boxes is the IoU of the intervals. */
const span = (x0: number, x1: number) => ({ x0, y0: 0, x1, y1: 10 });

test('iou is the axis-aligned intersection over union, and quads round-trip through bounds', () => {
  assert.equal(iou(span(0, 10), span(5, 15)), 1 / 3);
  assert.equal(iou(span(0, 10), span(0, 5)), 0.5);
  assert.equal(iou(span(0, 10), span(0, 10)), 1);
  assert.equal(iou(span(0, 10), span(10, 20)), 0);
  assert.equal(iou(span(0, 0), span(0, 0)), 0);
  const box = { x0: 3, y0: 4, x1: 30, y1: 14 };
  assert.deepEqual(quadOf(box), [{ x: 3, y: 4 }, { x: 30, y: 4 }, { x: 30, y: 14 }, { x: 3, y: 14 }]);
  assert.deepEqual(boundsOf(quadOf(box)), box);
  assert.deepEqual(boundsOf([{ x: 5, y: 1 }, { x: 2, y: 9 }, { x: 7, y: 3 }]), { x0: 2, y0: 1, x1: 7, y1: 9 });
});

test('matchBoxes pairs each box at most once, highest IoU first, at IoU >= 0.5', () => {
  // P1 equals T0 and wins it; P0 then overlaps T1 too little.
  assert.deepEqual(matchBoxes([span(0, 10), span(10, 20)], [span(2, 12), span(0, 10)]), {
    pairs: [{ truth: 0, predicted: 1, iou: 1 }],
    unmatchedTruth: [1],
    unmatchedPredicted: [0],
  });
  // Greedy, not optimal: P0-T0 (9/11) is taken first, which leaves P1-T1 (0.25) below the
  // threshold, although P1-T0 (7/13) and P0-T1 (8/12) would have paired both.
  const greedy = matchBoxes([span(0, 10), span(3, 13)], [span(1, 11), span(-3, 7)]);
  assert.deepEqual(greedy.pairs, [{ truth: 0, predicted: 0, iou: 9 / 11 }]);
  assert.deepEqual(greedy.unmatchedTruth, [1]);
  assert.deepEqual(greedy.unmatchedPredicted, [1]);
  // Exactly 0.5 counts; a tie goes to the lower indices.
  assert.deepEqual(matchBoxes([span(0, 10)], [span(0, 5), span(5, 10)]).pairs, [{ truth: 0, predicted: 0, iou: 0.5 }]);
  assert.deepEqual(matchBoxes([span(0, 10)], [span(0, 4)]).pairs, []);
  assert.deepEqual(matchBoxes([], [span(0, 4)]), { pairs: [], unmatchedTruth: [], unmatchedPredicted: [0] });
});

test('detectionScore gives precision, recall and F1, with fixed values for empty sets', () => {
  const score = detectionScore(10, 8, 6);
  assert.equal(score.precision, 0.75);
  assert.equal(score.recall, 0.6);
  assert.ok(Math.abs(score.f1 - 2 / 3) < 1e-12);
  assert.deepEqual(detectionScore(0, 0, 0), { truth: 0, predicted: 0, matched: 0, precision: 1, recall: 1, f1: 1 });
  assert.deepEqual(detectionScore(5, 0, 0), { truth: 5, predicted: 0, matched: 0, precision: 0, recall: 0, f1: 0 });
  assert.deepEqual(detectionScore(0, 3, 0), { truth: 0, predicted: 3, matched: 0, precision: 0, recall: 1, f1: 0 });
  assert.throws(() => detectionScore(2, 5, 3), RangeError);
});

test('levenshtein counts insertions, deletions and substitutions over code points or words', () => {
  assert.equal(levenshtein(charsOf('kitten'), charsOf('sitting')), 3);
  assert.equal(levenshtein(charsOf('flaw'), charsOf('lawn')), 2);
  assert.equal(levenshtein(charsOf(''), charsOf('abc')), 3);
  assert.equal(levenshtein(charsOf('abc'), charsOf('')), 3);
  assert.equal(levenshtein(charsOf('abc'), charsOf('abc')), 0);
  assert.equal(levenshtein(charsOf('a😀b'), charsOf('ab')), 1, 'an emoji is one character, not two UTF-16 units');
  assert.deepEqual(wordsOf('  two   words '), ['two', 'words']);
  assert.equal(levenshtein(wordsOf('the quick fox'), wordsOf('the quack fox jumps')), 2);
});

test('text scores: CER, WER and exact lines, case-sensitive, white space normalised', () => {
  const score = new TextTally()
    .add('Hello world', 'Hello world')
    .add('abc def', 'abcdef') // a lost space: 1 character, 2 words (one substituted, one deleted)
    .add('Case', 'case') // case counts
    .add(' spaced  out ', 'spaced out') // white space is trimmed and collapsed
    .score();
  assert.deepEqual(score, {
    lines: 4,
    exactLines: 2,
    lineAccuracy: 0.5,
    chars: 32,
    charErrors: 2,
    cer: 2 / 32,
    charAccuracy: 1 - 2 / 32,
    words: 7,
    wordErrors: 3,
    wer: 3 / 7,
    wordAccuracy: 1 - 3 / 7,
  });
  // A reader that adds text can pass a CER of 1; accuracy stops at 0.
  const babble = textScore([['a', 'abcd']]);
  assert.equal(babble.cer, 3);
  assert.equal(babble.charAccuracy, 0);
  assert.ok(Number.isNaN(textScore([]).cer), 'no lines is no score');
});

test('accuracyScore compares answers with the truth', () => {
  assert.deepEqual(accuracyScore([['0', '0'], ['180', '0'], ['180', '180']]), { total: 3, correct: 2, accuracy: 2 / 3 });
  assert.ok(Number.isNaN(accuracyScore([]).accuracy));
});

test('missCause tells a line cut at word gaps from a loose box and from nothing', () => {
  const line = { x0: 0, y0: 0, x1: 100, y1: 20 };
  assert.equal(missCause(line, [{ x0: 0, y0: -5, x1: 45, y1: 25 }, { x0: 55, y0: -5, x1: 100, y1: 25 }]), 'split');
  assert.equal(missCause(line, [{ x0: -10, y0: -10, x1: 110, y1: 30 }]), 'loose');
  assert.equal(missCause(line, [{ x0: 0, y0: 0, x1: 50, y1: 20 }]), 'unseen');
  assert.equal(missCause(line, []), 'unseen');
});

test('formatTable pads columns and right-aligns numbers', () => {
  assert.equal(percent(0.98765), '98.8%');
  assert.equal(percent(Number.NaN), 'n/a');
  assert.equal(
    formatTable(['name', 'score'], [['alpha', '9.5%'], ['b', '100.0%']]),
    ['name    score', '-----  ------', 'alpha    9.5%', 'b      100.0%'].join('\n'),
  );
});
