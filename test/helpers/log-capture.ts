/**
 * A real pino logger whose records a test can read, for what a server only says in its log.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, pino } from 'pino';

/** One JSON log line, parsed. */
export interface LogRecord {
  readonly level: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

export interface CapturedLog {
  readonly logger: Logger;
  readonly records: readonly LogRecord[];
  /** Records whose message is `msg`. */
  withMessage(msg: string): LogRecord[];
  /** Resolves with the first record whose message is `msg`; fails after `timeoutMs`. */
  waitFor(msg: string, timeoutMs?: number): Promise<LogRecord>;
}

/** A logger at `level` (debug by default) that keeps every record. */
export function captureLog(level = 'debug'): CapturedLog {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  const withMessage = (msg: string): LogRecord[] => records.filter((r) => r.msg === msg);
  return {
    logger: pino({ level }, sink),
    records,
    withMessage,
    async waitFor(msg, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = withMessage(msg)[0];
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no log record ${JSON.stringify(msg)} within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
  };
}
