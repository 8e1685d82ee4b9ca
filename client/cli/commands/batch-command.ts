/**
 * `sluice batch <dir|glob> --model <name>`: a model over a set of images, with a progress bar,
 * results as JSONL or CSV, and with labels accuracy, a confusion matrix, binary ROC and
 * precision/recall, and an HTML report.
 *
 * Concurrency is one Predict stream whose window is `--concurrency`, not that many PredictOne
 * calls: the server keeps up to N images in flight on one HTTP/2 stream, a bad image is answered
 * in-band while the others go on, answers come back in file order (so results are written in a
 * stable order), and the client never has more than N images read and unanswered.
 */
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { writeFile } from 'node:fs/promises';
import type { ModelConfig } from '../../../gen/ts/sluice/v1/model_config.js';
import { ImageFilesSource } from '../../sources/image-files-source.js';
import { CliError, type GlobalOptions, connect } from '../cli-context.js';
import { parseChoice, parseInteger, parseNumber, parseSize } from '../option-parsers.js';
import { onInterrupt } from '../interrupt.js';
import type { BatchRecord } from '../batch/batch-record.js';
import { evaluateBatch } from '../batch/batch-evaluation.js';
import { BatchResultsWriter } from '../batch/batch-results-writer.js';
import { batchSummaryJson, formatBatchSummary } from '../batch/batch-summary.js';
import { type LabelOf, loadLabels } from '../batch/image-labels.js';
import { runBatch } from '../batch/run-batch.js';
import { htmlReport } from '../report/html-report.js';
import { StreamStats } from '../stream/stream-stats.js';
import { streamSummary } from '../stream/stream-summary.js';

interface BatchFlags {
  model: string;
  concurrency: string;
  out?: string;
  labels?: string;
  positive?: string;
  threshold: string;
  report?: string;
  resize?: string;
  encode?: string;
  limit?: string;
  json?: boolean;
  quiet?: boolean;
}

const ENCODINGS = ['jpeg', 'png', 'raw'] as const;

export function registerBatchCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('batch')
    .description('run a model over a folder or glob of images; with labels, report accuracy, a confusion matrix and ROC/PR')
    .argument('<images>', 'folder (searched recursively) or quoted glob, e.g. "data/**/*.png"')
    .requiredOption('-m, --model <name>', 'model to run')
    .option('-c, --concurrency <n>', 'images in flight on the stream', '8')
    .option('-o, --out <file>', 'results, one per image: .csv for a table, otherwise JSON lines; - for JSON lines on stdout')
    .option('--labels <source>', 'true labels: a CSV of path,label rows (paths relative to the CSV), or "folders" for root/<class>/image.png')
    .option('--positive <label>', 'class to evaluate against the rest (ROC, precision/recall) [default: the second label of a two-class model]')
    .option('--threshold <score>', 'score of the positive class from which an image counts as positive', '0.5')
    .option('--report <file.html>', 'write a self-contained HTML report (confusion matrix, ROC, precision/recall, score histogram)')
    .option('--resize <size>', 'scale images before sending: WxH or W')
    .addOption(new Option('--encode <format>', 'send images as jpeg, png or raw RGB pixels [default: as they are]').choices(ENCODINGS))
    .option('-n, --limit <images>', 'only the first N images')
    .option('--json', 'print the summary as JSON on stdout')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  sluice batch photos/ -m tiny-cnn --out results.csv
  sluice batch dataset/ -m tiny-cnn --labels folders --report report.html
  sluice batch 'crops/*.png' -m ppocr-cls --labels truth.csv --positive 180 --threshold 0.7 --json`,
    )
    .action(async (spec: string, flags: BatchFlags) => {
      const global = globals();
      const concurrency = parseInteger('--concurrency', flags.concurrency, 1, 256);
      const threshold = parseNumber('--threshold', flags.threshold, -1e9, 1e9);
      const resize = flags.resize === undefined ? undefined : parseSize('--resize', flags.resize);
      const encoding = flags.encode === undefined ? undefined : parseChoice('--encode', flags.encode, ENCODINGS);
      const limit = flags.limit === undefined ? undefined : parseInteger('--limit', flags.limit, 1);
      if (flags.json === true && flags.out === '-') throw new CliError('--json and --out - both write to stdout: give --out a file');

      const source = await ImageFilesSource.open(spec);
      const labelOf: LabelOf | undefined = flags.labels === undefined ? undefined : await loadLabels(flags.labels);
      const client = await connect(global);
      let out: BatchResultsWriter | undefined;
      try {
        const config = await classifierConfig(client.getModel(flags.model, { timeoutMs: global.timeout }), flags);
        const modelLabels = config.labels;
        const positive = flags.positive ?? (modelLabels.length === 2 ? modelLabels[1] : undefined);
        if (flags.positive !== undefined && modelLabels.length > 0 && !modelLabels.includes(flags.positive)) {
          throw new CliError(`--positive ${JSON.stringify(flags.positive)} is not a class of model ${flags.model} (${modelLabels.join(', ')})`);
        }
        out = flags.out === undefined ? undefined : await BatchResultsWriter.open(flags.out);
        const paths = limit === undefined ? source.paths : source.paths.slice(0, limit);
        const stats = new StreamStats();
        const records: BatchRecord[] = [];
        const interrupt = onInterrupt();
        const bar = process.stderr.isTTY && flags.quiet !== true ? progressBar() : undefined;
        bar?.start(paths.length, 0, { speed: '0.0', errors: 0 });
        let failure: unknown;
        try {
          await runBatch({
            client,
            paths,
            model: flags.model,
            concurrency,
            resize,
            encoding,
            labelOf,
            positive,
            stats,
            signal: interrupt.signal,
            onRecord: async (record, response) => {
              records.push(record);
              await out?.write(record, response);
              bar?.update(records.length, { speed: stats.throughput.toFixed(1), errors: stats.counts.errors });
            },
          });
        } catch (err: unknown) {
          if (!interrupt.signal.aborted) failure = err;
        } finally {
          bar?.stop();
          interrupt.dispose();
        }
        if (failure !== undefined && stats.counts.sent === 0) throw failure;
        const interrupted = interrupt.signal.aborted;
        const summary = streamSummary(stats, spec, flags.model, interrupted);
        const evaluation = evaluateBatch(records, modelLabels, labelOf === undefined ? undefined : positive, threshold);
        if (flags.report !== undefined) {
          await writeFile(flags.report, htmlReport({ summary, evaluation, records, generatedAt: new Date() })).catch((err: unknown) => {
            throw new CliError(`cannot write ${flags.report}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
          });
        }
        if (flags.json === true) process.stdout.write(`${JSON.stringify(batchSummaryJson(summary, evaluation), null, 2)}\n`);
        else (out?.toStdout === true || failure !== undefined ? process.stderr : process.stdout).write(formatBatchSummary(summary, evaluation));
        if (failure !== undefined) throw failure;
        if (interrupted) process.exitCode = 130;
        else if (summary.frames.predictions === 0 && summary.frames.errors > 0) throw new CliError(`no image was predicted: ${stats.firstError ?? 'every answer was an error'}`);
      } finally {
        await out?.close();
        client.close();
      }
    });
}

/** A progress bar with an ETA, on stderr. */
function progressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} images | {speed} images/s | ETA {eta_formatted} | errors {errors}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 100,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** The model's configuration; labels need a model that answers with classes. */
async function classifierConfig(pending: Promise<{ config?: ModelConfig | undefined }>, flags: BatchFlags): Promise<ModelConfig> {
  const { config } = await pending;
  if (config === undefined) throw new CliError(`the server returned no configuration for model ${flags.model}`);
  if (config.preprocessing === undefined && config.pipeline === undefined) throw new CliError(`model ${flags.model} takes tensors (${config.inputs.map((i) => i.name).join(', ')}), not images`);
  const kind = config.postprocessor?.kind?.$case;
  if ((flags.labels !== undefined || flags.positive !== undefined) && kind !== 'classification') {
    throw new CliError(`--labels and --positive need a classification model; ${flags.model} answers with ${kind ?? 'tensors'}`);
  }
  return config;
}
