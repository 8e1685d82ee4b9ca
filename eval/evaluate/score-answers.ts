/**
 * Turns model answers into scores: per-line outcomes, then totals and breakdowns. Pure: the same
 * images and answers always give the same scores.
 */
import type { Background, EvalImage, Orientation } from '../dataset/eval-image.js';
import { type AccuracyScore, accuracyScore } from '../metrics/accuracy-score.js';
import type { MissCause } from '../metrics/miss-cause.js';
import { type TextScore, textScore } from '../metrics/text-score.js';
import type { ModelAnswers } from './run-models.js';
import { type DetectionScores, type LineMatch, scoreDetections } from './score-detections.js';

/** What happened to one ground-truth line. */
export interface LineOutcome {
  readonly image: string;
  readonly line: number;
  readonly background: Background;
  readonly font: string;
  readonly size: number;
  readonly orientation: Orientation;
  readonly text: string;
  /** IoU with the `ppocr-det` box the line was matched to, or why it was missed. */
  readonly detection: { readonly iou: number } | { readonly missed: MissCause };
  /** What `ppocr-rec` read from the line's crop; null for upside-down lines. */
  readonly read: string | null;
  /** What `ppocr-cls` answered for the line's crop. */
  readonly classified: string;
  /** The `ocr` pipeline's matched detection, or why it was missed; absent without a pipeline. */
  readonly pipeline?: PipelineRead | { readonly missed: MissCause };
}

/** A line as the `ocr` pipeline read it: the IoU of its box, its text and its orientation label. */
export interface PipelineRead {
  readonly iou: number;
  readonly text: string;
  readonly label: string;
}

/** A score over all lines and over each background. */
export interface Split<T> {
  readonly all: T;
  readonly clean: T;
  readonly noisy: T;
}

/** Scores of one group of lines (a font, a size, a word count). */
export interface GroupScores {
  readonly group: 'font' | 'size' | 'words';
  readonly key: string;
  readonly lines: number;
  /** Share of the group's lines `ppocr-det` matched. */
  readonly detectionRecall: number;
  /** `ppocr-rec` on the group's upright lines. */
  readonly recognition: TextScore;
  readonly orientation: AccuracyScore;
}

/** Everything `npm run eval` reports. */
export interface EvalScores {
  readonly detection: DetectionScores;
  /** `ppocr-rec` on crops of the upright lines. */
  readonly recognition: Split<TextScore>;
  /** `ppocr-cls` on crops of every line, as drawn. */
  readonly orientation: Split<AccuracyScore> & { readonly upright: AccuracyScore; readonly upsideDown: AccuracyScore };
  /** The `ocr` pipeline, or null when the server does not serve it. */
  readonly pipeline: {
    readonly detection: DetectionScores;
    /** Text of matched boxes against the truth. */
    readonly matchedText: Split<TextScore>;
    /** Every line, a missed one counting as read empty: end to end. */
    readonly allText: Split<TextScore>;
    /** The `label` of matched boxes against the truth's orientation. */
    readonly orientation: AccuracyScore;
  } | null;
  readonly breakdown: readonly GroupScores[];
  readonly lines: readonly LineOutcome[];
}

type Matched = Extract<LineMatch, { iou: number }>;

/** Scores `answers` for `images`. */
export function scoreAnswers(images: readonly EvalImage[], answers: ModelAnswers): EvalScores {
  const detection = scoreDetections(images, answers.detections);
  const pipeline = answers.pipeline === null ? null : scoreDetections(images, answers.pipeline);
  const lines: LineOutcome[] = [];
  for (const [m, image] of images.entries()) {
    for (const [i, line] of image.lines.entries()) {
      const found = detection.matches[m]![i]!;
      const piped = pipeline?.matches[m]![i];
      lines.push({
        image: image.id,
        line: i,
        background: image.background,
        font: line.font,
        size: line.size,
        orientation: line.orientation,
        text: line.text,
        detection: 'missed' in found ? found : { iou: found.iou },
        read: answers.texts[m]![i]!,
        classified: answers.orientations[m]![i]!,
        ...(piped === undefined ? {} : { pipeline: 'missed' in piped ? piped : pipelineRead(piped, answers.pipeline![m]!) }),
      });
    }
  }

  const split = <T>(score: (subset: readonly LineOutcome[]) => T): Split<T> => ({
    all: score(lines),
    clean: score(lines.filter((l) => l.background === 'clean')),
    noisy: score(lines.filter((l) => l.background === 'noisy')),
  });
  return {
    detection: detection.scores,
    recognition: split(readScore),
    orientation: {
      ...split(classScore),
      upright: classScore(lines.filter((l) => l.orientation === '0')),
      upsideDown: classScore(lines.filter((l) => l.orientation === '180')),
    },
    pipeline:
      pipeline === null
        ? null
        : {
            detection: pipeline.scores,
            matchedText: split((subset) => textScore(pipelineReads(subset).map(([l, read]) => [l.text, read.text] as const))),
            allText: split((subset) => textScore(subset.map((l) => [l.text, l.pipeline !== undefined && 'text' in l.pipeline ? l.pipeline.text : ''] as const))),
            orientation: accuracyScore(pipelineReads(lines).map(([l, read]) => [l.orientation as string, read.label] as const)),
          },
    breakdown: [
      ...groupBy(lines, 'font', (l) => l.font),
      ...groupBy(lines, 'size', (l) => `${l.size}px`),
      ...groupBy(lines, 'words', (l) => wordCount(l.text)),
    ],
    lines,
  };
}

/** The lines of `subset` the pipeline matched, with what it read. */
function pipelineReads(subset: readonly LineOutcome[]): [LineOutcome, PipelineRead][] {
  return subset.flatMap((l) => (l.pipeline !== undefined && 'text' in l.pipeline ? [[l, l.pipeline] as [LineOutcome, PipelineRead]] : []));
}

function pipelineRead(match: Matched, detections: ModelAnswers['detections'][number]): PipelineRead {
  const d = detections[match.predicted]!;
  return { iou: match.iou, text: d.text, label: d.label };
}

function wordCount(text: string): string {
  const n = text.split(' ').length;
  return n === 1 ? '1 word' : `${n} words`;
}

/** `ppocr-rec` over the upright lines of `subset`. */
function readScore(subset: readonly LineOutcome[]): TextScore {
  return textScore(subset.flatMap((l) => (l.read === null ? [] : [[l.text, l.read] as const])));
}

function classScore(subset: readonly LineOutcome[]): AccuracyScore {
  return accuracyScore(subset.map((l) => [l.orientation as string, l.classified] as const));
}

function groupBy(lines: readonly LineOutcome[], group: GroupScores['group'], keyOf: (l: LineOutcome) => string): GroupScores[] {
  const groups = new Map<string, LineOutcome[]>();
  for (const line of lines) {
    const key = keyOf(line);
    groups.set(key, [...(groups.get(key) ?? []), line]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([key, members]) => ({
      group,
      key,
      lines: members.length,
      detectionRecall: members.filter((l) => 'iou' in l.detection).length / members.length,
      recognition: readScore(members),
      orientation: classScore(members),
    }));
}
