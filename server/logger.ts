/**
 * The server's logger: structured JSON lines, or readable lines when stdout is a terminal.
 */
import { pino, type Logger } from 'pino';

/** Options of `createLogger`. */
export interface LoggerOptions {
  readonly level?: string;
  /** Human-readable output; defaults to true when stdout is a terminal. */
  readonly pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    name: 'sluice',
    level: options.level ?? 'info',
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}
