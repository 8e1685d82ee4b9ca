/**
 * Metrics of a labelled batch: accuracy and the confusion matrix over every class, and for a
 * binary question (one positive class) ROC, precision/recall and the scores of each side.
 */
import { type ConfusionMatrix, confusionMatrix } from '../../metrics/confusion-matrix.js';
import { type PrCurve, type ThresholdMetrics, metricsAtThreshold, precisionRecallCurve } from '../../metrics/precision-recall.js';
import { type RocCurve, rocCurve } from '../../metrics/roc-curve.js';
import type { ScoredSample } from '../../metrics/scored-sample.js';
import type { BatchRecord } from './batch-record.js';

export interface BinaryEvaluation {
  readonly positive: string;
  readonly atThreshold: ThresholdMetrics;
  readonly roc: RocCurve;
  readonly pr: PrCurve;
  readonly samples: readonly ScoredSample[];
}

export interface BatchEvaluation {
  /** Predicted images with a true label. */
  readonly labelled: number;
  /** Predicted images without one. */
  readonly unlabelled: number;
  readonly confusion: ConfusionMatrix | undefined;
  readonly binary: BinaryEvaluation | undefined;
}

/** Evaluates the records that carry a class; `positive` asks for the binary metrics too. */
export function evaluateBatch(records: readonly BatchRecord[], modelLabels: readonly string[], positive: string | undefined, threshold: number): BatchEvaluation {
  const predicted = records.filter((r) => r.score !== undefined && r.predicted !== undefined && r.errorCode === undefined);
  const labelled = predicted.filter((r) => r.label !== undefined);
  if (labelled.length === 0) return { labelled: 0, unlabelled: predicted.length, confusion: undefined, binary: undefined };
  const confusion = confusionMatrix(
    labelled.map((r) => ({ truth: r.label as string, predicted: r.predicted as string })),
    modelLabels,
  );
  let binary: BinaryEvaluation | undefined;
  if (positive !== undefined) {
    const samples = labelled.map((r) => ({ score: r.positiveScore ?? 0, positive: r.label === positive }));
    binary = { positive, atThreshold: metricsAtThreshold(samples, threshold), roc: rocCurve(samples), pr: precisionRecallCurve(samples), samples };
  }
  return { labelled: labelled.length, unlabelled: predicted.length - labelled.length, confusion, binary };
}

/** The evaluation as `--json` prints it (curves left out: they go to the HTML report). */
export function evaluationJson(e: BatchEvaluation): Record<string, unknown> {
  const finite = (v: number): number | null => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null);
  return {
    labelled: e.labelled,
    unlabelled: e.unlabelled,
    ...(e.confusion === undefined
      ? {}
      : { accuracy: finite(e.confusion.accuracy), confusion: { labels: e.confusion.labels, matrix: e.confusion.matrix } }),
    ...(e.binary === undefined
      ? {}
      : {
          binary: {
            positive: e.binary.positive,
            threshold: e.binary.atThreshold.threshold,
            precision: finite(e.binary.atThreshold.precision),
            recall: finite(e.binary.atThreshold.recall),
            f1: finite(e.binary.atThreshold.f1),
            truePositives: e.binary.atThreshold.truePositives,
            falsePositives: e.binary.atThreshold.falsePositives,
            trueNegatives: e.binary.atThreshold.trueNegatives,
            falseNegatives: e.binary.atThreshold.falseNegatives,
            rocAuc: finite(e.binary.roc.auc),
            averagePrecision: finite(e.binary.pr.averagePrecision),
          },
        }),
  };
}
