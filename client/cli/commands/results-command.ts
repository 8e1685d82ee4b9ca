/**
 * `sluice results --subject <subject>`: the results a server binding published (see `sluice serve
 * --bind`), read back from the JetStream stream that captures their subject and written as one
 * JSON line per result, in the record format of `sluice stream --out`. Stops at the end of what
 * the stream holds, or with `--follow` goes on until Ctrl-C (exit 130, with the summary).
 */
import type { Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import { StreamStats } from '../stream/stream-stats.js';
import { CliError, type GlobalOptions } from '../cli-context.js';
import { onInterrupt } from '../interrupt.js';
import { LineWriter } from '../line-writer.js';
import { parseInteger } from '../option-parsers.js';
import { StatusLine } from '../stream/status-line.js';
import { streamSummary } from '../stream/stream-summary.js';
import { type NatsFlags, addNatsOptions, connectNats } from '../nats/nats-connection.js';
import { readResults } from '../nats/read-results.js';
import { formatResultsSummary, resultsStatusText, resultsSummaryJson } from '../nats/results-summary.js';
import { streamOf } from '../nats/work-queue-stream.js';
// The naming rules are light (no NATS client, no server); bindings are checked by the same ones.
import { SUBJECT_FILTER } from '../../../server/ingest/nats-names.js';

interface ResultsFlags extends NatsFlags {
  subject: string;
  follow?: boolean;
  new?: boolean;
  output: string;
  limit?: string;
  json?: boolean;
  quiet?: boolean;
}


/** Adds `sluice results` to the program; `globals` reads the options every command shares. */
export function registerResultsCommand(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('results')
    .description('read the results a server binding published to a NATS JetStream subject, as JSON lines')
    .requiredOption('--subject <subject>', 'results subject, or a filter such as results.>')
    .option('-f, --follow', 'keep reading new results until Ctrl-C')
    .option('--new', 'only results stored from now on (implies --follow)')
    .option('-o, --output <file>', 'write the JSON lines here (- for stdout)', '-')
    .option('-n, --limit <n>', 'stop after this many results')
    .option('--json', 'print the final summary as JSON on stdout (needs --output <file>)')
    .option('-q, --quiet', 'no live status line');
  addNatsOptions(command)
    .addHelpText(
      'after',
      `
Results are read with an ordered consumer that acknowledges nothing, so other readers are not
affected. Each line is what 'sluice stream --out' writes (id, model, sequence, latencyMs,
prediction/error/dropped, timings), with latencyMs the server's time for the item.

Examples:
  sluice results --subject results.frames > results.jsonl
  sluice results --subject 'results.>' --follow --output results.jsonl
  sluice results --subject results.frames --new --limit 10`,
    )
    .action(async (flags: ResultsFlags) => {
      const global = globals();
      if (!SUBJECT_FILTER.test(flags.subject)) throw new CliError(`--subject must be a subject or a filter such as results.>, got ${JSON.stringify(flags.subject)}`);
      const limit = flags.limit === undefined ? undefined : parseInteger('--limit', flags.limit, 1);
      if (flags.json === true && flags.output === '-') throw new CliError('--json and --output - both write to stdout: give --output a file');

      const { nc, jsm } = await connectNats(flags, global.timeout);
      try {
        const stream = await streamOf(jsm, flags.subject);
        if (stream === undefined) throw new CliError(`no JetStream stream captures subject ${flags.subject}: nothing to read`);
        const out = await LineWriter.open(flags.output);
        const stats = new StreamStats();
        const models = new Set<string>();
        const interrupt = onInterrupt();
        const status = process.stderr.isTTY && flags.quiet !== true ? new StatusLine(process.stderr, () => resultsStatusText(stats)) : undefined;
        let warned = false;
        status?.start();
        let failure: unknown;
        try {
          await readResults({
            js: jetstream(nc, { timeout: global.timeout }),
            jsm,
            stream,
            subject: flags.subject,
            follow: flags.follow === true,
            fromNew: flags.new === true,
            limit,
            out,
            stats,
            models,
            onUndecodable: (sequence, reason) => {
              if (warned) return;
              warned = true;
              status?.stop();
              process.stderr.write(`sluice: skipping message ${sequence} of stream ${stream}: ${reason} (counted as UNDECODABLE)\n`);
              status?.start();
            },
            signal: interrupt.signal,
          });
        } catch (err: unknown) {
          if (!interrupt.signal.aborted) failure = err;
        } finally {
          status?.stop();
          interrupt.dispose();
          await out.close();
        }
        const interrupted = interrupt.signal.aborted;
        const summary = streamSummary(stats, `${flags.subject} (stream ${stream})`, models.size === 0 ? '(no model)' : [...models].sort().join(', '), interrupted);
        if (failure === undefined || stats.counts.sent > 0) {
          if (flags.json === true) process.stdout.write(`${JSON.stringify(resultsSummaryJson(summary), null, 2)}\n`);
          else (out.toStdout || failure !== undefined ? process.stderr : process.stdout).write(formatResultsSummary(summary));
        }
        if (failure !== undefined) throw failure;
        if (interrupted) process.exitCode = 130;
      } finally {
        await nc.close();
      }
    });
}
