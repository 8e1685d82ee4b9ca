/**
 * `sluice stream <source> --model <name>`: frames from a video, a camera, a folder of images or
 * rendered test frames over one bidirectional Predict stream, with a live status line, a summary,
 * and one JSON line per answer with `--out`. Ctrl-C stops cleanly with the summary so far (exit 130).
 */
import { type Command, Option } from 'commander';
import { DropPolicy, type StreamOptions } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { ModelConfig } from '../../../gen/ts/sluice/v1/model_config.js';
import type { SluiceClient } from '../../sluice-client.js';
import { openSource } from '../../sources/open-source.js';
import { CliError, type GlobalOptions, connect } from '../cli-context.js';
import { LineWriter } from '../line-writer.js';
import { type FpsOption, parseChoice, parseFps, parseInteger, parseSize } from '../option-parsers.js';
import { onInterrupt } from '../interrupt.js';
import { runStream } from '../stream/run-stream.js';
import { StatusLine } from '../stream/status-line.js';
import { StreamStats } from '../stream/stream-stats.js';
import { formatStreamSummary, statusText, streamSummary } from '../stream/stream-summary.js';
import { planTensorBatch } from '../stream/tensor-batch.js';

interface StreamFlags {
  model: string;
  fps?: string;
  resize?: string;
  encode?: string;
  inputFormat?: string;
  dropPolicy: string;
  window: string;
  itemTimeout?: string;
  publish?: string;
  clientBatch?: string;
  limit?: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

const ENCODINGS = ['jpeg', 'png', 'raw'] as const;
const DROP_POLICIES = ['none', 'drop-oldest'] as const;

export function registerStreamCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('stream')
    .description('stream frames to a model over one bidirectional Predict call and report throughput and latency')
    .argument('<source>', 'video file or URL, camera (/dev/video0, camera:<device>), folder or glob of images, or synthetic:[WxH][@fps]')
    .requiredOption('-m, --model <name>', 'model to run')
    .option('--fps <rate>', 'pacing: frames per second, "source" (the source\'s own rate) or "max" [default: source for cameras and synthetic:, max otherwise]')
    .option('--resize <size>', 'scale frames before sending: WxH (stretched) or W (keeping the aspect ratio)')
    .addOption(new Option('--encode <format>', 'send frames as jpeg, png or raw RGB pixels [default: jpeg for video, as-is for image files]').choices(ENCODINGS))
    .option('--input-format <format>', 'ffmpeg input format (-f), e.g. v4l2, avfoundation, dshow, x11grab, lavfi')
    .addOption(new Option('--drop-policy <policy>', 'when the window is full: wait (none), or read on and send only the freshest frame once there is room, dropping the others (drop-oldest, for live sources)').choices(DROP_POLICIES).default('none'))
    .option('--window <n>', 'frames in flight, sent and not yet answered; the client keeps to it too', '16')
    .option('--item-timeout <ms>', 'answer a frame DEADLINE_EXCEEDED when it waits longer than this to start')
    .option('--publish <name>', 'publish the stream under this name, for the viewer and other watchers (ListSessions, Watch)')
    .option('--client-batch <n>', 'stack N frames into one float32 tensor request, preprocessed here (fixed-size classification or tensor models only; compare with the server\'s own batching)')
    .option('-n, --limit <frames>', 'stop after this many frames')
    .option('-o, --out <file>', 'write one JSON line per answer (id, frame, model, prediction/error/dropped, timings, latencyMs); - for stdout')
    .option('--json', 'print the final summary as JSON on stdout')
    .option('-q, --quiet', 'no live status line')
    .addHelpText(
      'after',
      `
Examples:
  sluice stream synthetic:640x360@15 -m ppocr-det --limit 150
  sluice stream video.mp4 -m tiny-cnn --fps max --out results.jsonl
  sluice stream /dev/video0 -m ppocr-det --drop-policy drop-oldest --window 2
  sluice stream 'frames/*.png' -m tiny-cnn --window 32 --json`,
    )
    .action(async (spec: string, flags: StreamFlags) => {
      const global = globals();
      const fps: FpsOption | undefined = flags.fps === undefined ? undefined : parseFps('--fps', flags.fps);
      const resize = flags.resize === undefined ? undefined : parseSize('--resize', flags.resize);
      const encoding = flags.encode === undefined ? undefined : parseChoice('--encode', flags.encode, ENCODINGS);
      const dropPolicy = parseChoice('--drop-policy', flags.dropPolicy, DROP_POLICIES);
      const window = parseInteger('--window', flags.window, 1, 65_535);
      const itemTimeout = flags.itemTimeout === undefined ? undefined : parseInteger('--item-timeout', flags.itemTimeout, 1, 2 ** 32 - 1);
      const clientBatch = flags.clientBatch === undefined ? undefined : parseInteger('--client-batch', flags.clientBatch, 1, 4096);
      const limit = flags.limit === undefined ? undefined : parseInteger('--limit', flags.limit, 1);
      if (clientBatch !== undefined && (resize !== undefined || encoding !== undefined)) {
        throw new CliError('--client-batch sends tensors at the model\'s own size: drop --resize and --encode');
      }
      if (flags.json === true && flags.out === '-') throw new CliError('--json and --out - both write to stdout: give --out a file');

      const source = await openSource(spec, { inputFormat: flags.inputFormat, encoding: clientBatch === undefined ? encoding : 'raw', resize });
      const client = await connect(global);
      const out = flags.out === undefined ? undefined : await LineWriter.open(flags.out);
      try {
        const config = await imageModel(client, flags.model, global.timeout);
        const batch = clientBatch === undefined ? undefined : planTensorBatch(config, clientBatch);
        const streamOptions: Partial<StreamOptions> = {
          maxInFlight: window,
          ...(dropPolicy === 'drop-oldest' ? { dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST } : {}),
          ...(itemTimeout === undefined ? {} : { itemTimeoutMs: itemTimeout }),
          ...(flags.publish === undefined ? {} : { publish: flags.publish }),
        };
        const stats = new StreamStats();
        const interrupt = onInterrupt();
        const status = process.stderr.isTTY && flags.quiet !== true ? new StatusLine(process.stderr, () => statusText(stats)) : undefined;
        status?.start();
        let failure: unknown;
        try {
          await runStream({
            client,
            source,
            model: flags.model,
            // Rendered frames and cameras have a rate of their own; files go as fast as the model.
            fps: fps ?? (source.live || spec.startsWith('synthetic:') ? 'source' : 'max'),
            limit,
            resize,
            encoding,
            streamOptions,
            inFlight: window,
            // A live source is read on while the window is full; only its freshest frame waits here.
            dropOldest: dropPolicy === 'drop-oldest',
            batch,
            out,
            stats,
            signal: interrupt.signal,
          });
        } catch (err: unknown) {
          if (!interrupt.signal.aborted) failure = err;
        } finally {
          status?.stop();
          interrupt.dispose();
        }
        const interrupted = interrupt.signal.aborted;
        const summary = streamSummary(stats, source.description, flags.model, interrupted);
        // After a failure the summary is worth printing only when something was sent.
        if (failure === undefined || stats.counts.sent > 0) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          else (out?.toStdout === true || failure !== undefined ? process.stderr : process.stdout).write(formatStreamSummary(summary));
        }
        if (failure !== undefined) throw failure;
        if (interrupted) process.exitCode = 130;
        else if (summary.frames.predictions === 0 && summary.frames.errors > 0) {
          throw new CliError(`no frame was predicted: ${stats.firstError ?? 'every answer was an error'}`);
        }
      } finally {
        await out?.close();
        client.close();
      }
    });
}

/** The model's configuration; fails unless it takes images (preprocessing, or a pipeline). */
async function imageModel(client: SluiceClient, name: string, timeoutMs: number): Promise<ModelConfig> {
  const { config } = await client.getModel(name, { timeoutMs });
  if (config === undefined) throw new CliError(`the server returned no configuration for model ${name}`);
  if (config.preprocessing === undefined && config.pipeline === undefined) {
    throw new CliError(`model ${name} takes tensors (${config.inputs.map((i) => i.name).join(', ')}), not images`);
  }
  return config;
}
