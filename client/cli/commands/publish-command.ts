/**
 * `sluice publish <source> --subject <subject>`: frames from a video, a camera, a folder of images
 * or rendered test frames, published as images to a NATS JetStream subject for a server binding to
 * run (see `sluice serve --bind`), with a live status line and a summary. Ctrl-C stops cleanly with
 * the summary so far (exit 130).
 */
import type { Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import { nuid } from '@nats-io/transport-node';
import { openSource } from '../../sources/open-source.js';
import { CliError, type GlobalOptions } from '../cli-context.js';
import { onInterrupt } from '../interrupt.js';
import { type FpsOption, parseChoice, parseFps, parseInteger, parseSize } from '../option-parsers.js';
import { StatusLine } from '../stream/status-line.js';
import { FrameObjectStore } from '../nats/frame-object-store.js';
import { type NatsFlags, addNatsOptions, connectNats } from '../nats/nats-connection.js';
import { publishFrames } from '../nats/publish-frames.js';
import { PublishStats } from '../nats/publish-stats.js';
import { formatPublishSummary, publishStatusText, publishSummary } from '../nats/publish-summary.js';
import { workQueueStream } from '../nats/work-queue-stream.js';
// The naming rules are light (no NATS client, no server); bindings are checked by the same ones.
import { JETSTREAM_NAME, LITERAL_SUBJECT } from '../../../server/ingest/nats-names.js';

interface PublishFlags extends NatsFlags {
  subject: string;
  model?: string;
  stream?: string;
  create?: boolean;
  fps?: string;
  resize?: string;
  encode?: string;
  inputFormat?: string;
  inFlight: string;
  live?: boolean;
  idPrefix?: string;
  objectStore: string;
  limit?: string;
  json?: boolean;
  quiet?: boolean;
}

const ENCODINGS = ['jpeg', 'png'] as const;

/** Adds `sluice publish` to the program; `globals` reads the options every command shares. */
export function registerPublishCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('publish')
    .description('publish frames as images to a NATS JetStream subject, for a server binding (serve --bind) to run')
    .argument('<source>', 'video file or URL, camera (/dev/video0, camera:<device>), folder or glob of images, or synthetic:[WxH][@fps]')
    .requiredOption('--subject <subject>', 'subject to publish to (a stream must capture it, or --stream <name> --create)')
    .option('-m, --model <name>', 'model to run, sent as the Sluice-Model header (default: the binding\'s own)')
    .option('--stream <name>', 'the stream that captures the subject; checked, or created with --create')
    .option('--create', 'create --stream as a work queue (retention workqueue) capturing --subject when no stream captures it')
    .option('--fps <rate>', 'pacing: frames per second, "source" (the source\'s own rate) or "max" [default: source for cameras and synthetic:, max otherwise]')
    .option('--resize <size>', 'scale frames before publishing: WxH (stretched) or W (keeping the aspect ratio)')
    .option('--encode <format>', 'publish frames as jpeg or png [default: jpeg for video and raw frames, as-is for image files]')
    .option('--input-format <format>', 'ffmpeg input format (-f), e.g. v4l2, avfoundation, dshow, x11grab, lavfi')
    .option('--in-flight <n>', 'publishes waiting for their PubAck, at most', '64')
    .option('--live', 'live drop policy (cameras): when --in-flight publishes wait, read on and keep only the freshest frame; drop frames a full stream refuses; never make the source wait')
    .option('--id-prefix <prefix>', 'Nats-Msg-Id is <prefix>-<frame id>; the same prefix again publishes nothing twice within the stream\'s duplicate window [default: a new id per run]')
    .option('--object-store <bucket>', 'object store bucket for frames larger than the server\'s max_payload (created when missing)', 'sluice-frames')
    .option('-n, --limit <frames>', 'stop after this many frames')
    .option('--json', 'print the final summary as JSON on stdout')
    .option('-q, --quiet', 'no live status line');
  addNatsOptions(command)
    .addHelpText(
      'after',
      `
Each message: the encoded image as the body; headers Content-Type (image/jpeg, image/png, ...),
Sluice-Id (the frame id), Nats-Msg-Id (<id prefix>-<frame id>) and Sluice-Model with --model.
A frame larger than the server's max_payload goes to the object store and its message is empty,
with Sluice-Object naming the object.

Examples:
  sluice publish synthetic:640x360@15 --subject frames.cam1 --stream FRAMES --create --limit 150
  sluice publish 'frames/*.png' --subject frames.batch --model tiny-cnn --fps max
  sluice publish /dev/video0 --subject frames.cam1 --live --in-flight 4 --nats nats://nats:4222`,
    )
    .action(async (spec: string, flags: PublishFlags) => {
      const global = globals();
      if (!LITERAL_SUBJECT.test(flags.subject)) throw new CliError(`--subject must be a subject without wildcards, e.g. frames.cam1, got ${JSON.stringify(flags.subject)}`);
      if (flags.stream !== undefined && !JETSTREAM_NAME.test(flags.stream)) throw new CliError(`--stream must be a JetStream name (no spaces, dots or wildcards), got ${JSON.stringify(flags.stream)}`);
      if (!JETSTREAM_NAME.test(flags.objectStore)) throw new CliError(`--object-store must be a bucket name (no spaces, dots or wildcards), got ${JSON.stringify(flags.objectStore)}`);
      if (flags.idPrefix !== undefined && !/^[^\s]{1,200}$/.test(flags.idPrefix)) throw new CliError(`--id-prefix must be 1 to 200 characters without spaces, got ${JSON.stringify(flags.idPrefix)}`);
      const fps: FpsOption | undefined = flags.fps === undefined ? undefined : parseFps('--fps', flags.fps);
      const resize = flags.resize === undefined ? undefined : parseSize('--resize', flags.resize);
      const encoding = flags.encode === undefined ? undefined : parseChoice('--encode', flags.encode, ENCODINGS);
      const inFlight = parseInteger('--in-flight', flags.inFlight, 1, 65_535);
      const limit = flags.limit === undefined ? undefined : parseInteger('--limit', flags.limit, 1);

      const source = await openSource(spec, { inputFormat: flags.inputFormat, encoding, resize });
      const { nc, jsm, servers } = await connectNats(flags, global.timeout);
      try {
        const stream = await workQueueStream(jsm, { subject: flags.subject, stream: flags.stream, create: flags.create === true });
        const stats = new PublishStats();
        const interrupt = onInterrupt();
        const status = process.stderr.isTTY && flags.quiet !== true ? new StatusLine(process.stderr, () => publishStatusText(stats)) : undefined;
        status?.start();
        let failure: unknown;
        try {
          await publishFrames({
            nc,
            js: jetstream(nc, { timeout: global.timeout }),
            source,
            subject: flags.subject,
            stream: stream.name,
            model: flags.model,
            idPrefix: flags.idPrefix ?? nuid.next(),
            // Rendered frames and cameras have a rate of their own; files go as fast as the stream takes them.
            fps: fps ?? (source.live || spec.startsWith('synthetic:') ? 'source' : 'max'),
            limit,
            resize,
            encoding,
            inFlight,
            live: flags.live === true,
            objects: new FrameObjectStore(nc, flags.objectStore),
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
        const summary = publishSummary(stats, { source: source.description, subject: flags.subject, stream: stream.name, streamCreated: stream.created, objectStore: flags.objectStore }, interrupted);
        // After a failure the summary is worth printing only when something was published.
        if (failure === undefined || stats.published > 0) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify({ nats: servers, ...summary }, null, 2)}\n`);
          else (failure === undefined ? process.stdout : process.stderr).write(formatPublishSummary(summary));
        }
        if (failure !== undefined) throw failure;
        if (interrupted) process.exitCode = 130;
      } finally {
        await nc.close();
      }
    });
}
