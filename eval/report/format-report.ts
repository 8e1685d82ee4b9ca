/**
 * The printed form of an evaluation: one table of the headline numbers, the causes of missed
 * lines, and a per-font / per-size / per-length breakdown.
 */
import type { EvalReport } from './eval-report.js';
import { formatTable, percent } from './format-table.js';

/** The report as the terminal shows it. */
export function formatReport(report: EvalReport): string {
  const { dataset, scores } = report;
  const { detection, recognition, orientation, pipeline } = scores;
  const header = ['stage', 'model', 'metric', 'all', 'clean', 'noisy', 'counted'];
  const rows: string[][] = [
    ['detection', 'ppocr-det', 'precision', ...splitOf(detection, (d) => d.precision), `${detection.all.predicted} boxes`],
    ['', '', 'recall', ...splitOf(detection, (d) => d.recall), `${detection.all.truth} lines`],
    ['', '', 'F1', ...splitOf(detection, (d) => d.f1), ''],
    ['', '', 'mean IoU of matches', detection.meanIou.toFixed(3), '', '', `${detection.all.matched} matches`],
    ['recognition', 'ppocr-rec', 'char accuracy (1-CER)', ...splitOf(recognition, (t) => t.charAccuracy), `${recognition.all.chars} chars`],
    ['', '', 'exact lines', ...splitOf(recognition, (t) => t.lineAccuracy), `${recognition.all.lines} upright lines`],
    ['', '', 'word accuracy (1-WER)', ...splitOf(recognition, (t) => t.wordAccuracy), `${recognition.all.words} words`],
    ['orientation', 'ppocr-cls', 'accuracy', ...splitOf(orientation, (a) => a.accuracy), `${orientation.all.total} lines`],
    ['', '', 'accuracy on 0 / 180', percent(orientation.upright.accuracy), percent(orientation.upsideDown.accuracy), '', `${orientation.upright.total} / ${orientation.upsideDown.total} lines`],
  ];
  if (pipeline === null) {
    rows.push(['end to end', 'ocr', 'n/a (no ocr model)', '', '', '', '']);
  } else {
    const d = pipeline.detection;
    rows.push(
      ['end to end', 'ocr', 'precision', ...splitOf(d, (s) => s.precision), `${d.all.predicted} boxes`],
      ['', '', 'recall', ...splitOf(d, (s) => s.recall), `${d.all.truth} lines`],
      ['', '', 'char accuracy, matched', ...splitOf(pipeline.matchedText, (t) => t.charAccuracy), `${pipeline.matchedText.all.lines} lines`],
      ['', '', 'exact lines, matched', ...splitOf(pipeline.matchedText, (t) => t.lineAccuracy), ''],
      ['', '', 'char accuracy, all lines', ...splitOf(pipeline.allText, (t) => t.charAccuracy), 'missed = read ""'],
      ['', '', 'orientation, matched', percent(pipeline.orientation.accuracy), '', '', `${pipeline.orientation.total} lines`],
    );
  }

  const misses = (label: string, m: typeof detection.misses): string =>
    `${label} missed ${m.split + m.loose + m.unseen} lines: ${m.split} cut at word gaps, ${m.loose} boxed looser than the ink (IoU < 0.5), ${m.unseen} not found`;

  const breakdown = formatTable(
    ['group', 'value', 'lines', 'det recall', 'rec chars', 'rec lines', 'cls'],
    scores.breakdown.map((g) => [
      g.group,
      g.key,
      String(g.lines),
      percent(g.detectionRecall),
      percent(g.recognition.charAccuracy),
      percent(g.recognition.lineAccuracy),
      percent(g.orientation.accuracy),
    ]),
  );

  return [
    `Sluice OCR evaluation: seed ${dataset.seed}, ${dataset.images} images (${dataset.cleanImages} clean, ${dataset.noisyImages} noisy), ` +
      `${dataset.lines} lines (${dataset.uprightLines} upright, ${dataset.upsideDownLines} upside down)`,
    '',
    formatTable(header, rows),
    '',
    misses('ppocr-det', detection.misses),
    ...(pipeline === null ? [] : [misses('ocr', pipeline.detection.misses)]),
    '',
    breakdown,
    '',
    `generated in ${seconds(report.timings.generateMs)}, models ran in ${seconds(report.timings.modelsMs)}, ${seconds(report.timings.totalMs)} in all`,
  ].join('\n');
}

function splitOf<T>(split: { all: T; clean: T; noisy: T }, value: (score: T) => number): [string, string, string] {
  return [percent(value(split.all)), percent(value(split.clean)), percent(value(split.noisy))];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
