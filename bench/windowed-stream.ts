/**
 * Drives one bidirectional stream with a fixed window of unanswered messages, the way a client
 * that wants throughput does: it keeps `window` messages in flight, writes no faster than gRPC
 * drains, and times each message from its write to its answer.
 */
import { performance } from 'node:perf_hooks';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { Budget } from './bench-models.js';

/** Options of `runWindowed`. */
export interface WindowedOptions<Req, Res> {
  /** Messages written and not yet answered. */
  readonly window: number;
  readonly budget: Budget;
  /** The message with index `i` (warm-up messages come first, from 0). */
  readonly message: (index: number) => Req;
  /** Index of the message a response answers. */
  readonly indexOf: (response: Res) => number;
  /** Called for every measured answer, with its latency. */
  readonly onAnswer: (response: Res, latencyMs: number) => void;
  /** Called when warm-up is over and measuring starts, and when the last measured answer arrived. */
  readonly onMeasureStart?: () => void;
  readonly onMeasureEnd?: () => void;
}

/** What a windowed run sent and how long the measured part took. */
export interface WindowedRun {
  /** Measured messages (warm-up excluded); every one was answered. */
  readonly items: number;
  readonly seconds: number;
}

/**
 * Runs warm-up messages, then measured ones until the budget's time or count is spent, waits for
 * every answer and ends the call. Rejects if the call fails or ends early.
 */
export function runWindowed<Req, Res>(call: ClientDuplexStream<Req, Res>, options: WindowedOptions<Req, Res>): Promise<WindowedRun> {
  const { window, budget } = options;
  const warmup = budget.warmupItems;
  const sentAt = new Map<number, number>();
  let next = 0;
  let answered = 0;
  let writable = true;
  let measuring = warmup === 0;
  let measureStart = 0;
  let deadline = Number.POSITIVE_INFINITY;
  let lastIndex = Number.POSITIVE_INFINITY;

  return new Promise<WindowedRun>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      call.cancel();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const startMeasuring = (): void => {
      measuring = true;
      measureStart = performance.now();
      deadline = measureStart + budget.seconds * 1000;
      options.onMeasureStart?.();
    };
    const finish = (): void => {
      const seconds = (performance.now() - measureStart) / 1000;
      options.onMeasureEnd?.();
      settled = true;
      call.end();
      resolve({ items: next - warmup, seconds });
    };
    const pump = (): void => {
      while (writable && !settled && sentAt.size < window && lastIndex === Number.POSITIVE_INFINITY) {
        // Warm-up must be fully answered before measuring starts, so that no warm-up item is in flight.
        if (!measuring && next === warmup) return;
        if (measuring && (performance.now() >= deadline || next - warmup >= budget.maxItems)) {
          lastIndex = next - 1;
          if (sentAt.size === 0) finish();
          return;
        }
        sentAt.set(next, performance.now());
        writable = call.write(options.message(next++));
      }
    };
    call.on('data', (response: Res) => {
      const index = options.indexOf(response);
      const start = sentAt.get(index);
      if (start === undefined) return fail(new Error(`answer to unknown or repeated message ${index}`));
      sentAt.delete(index);
      answered++;
      if (index >= warmup) options.onAnswer(response, performance.now() - start);
      if (!measuring && answered === warmup) startMeasuring();
      if (lastIndex !== Number.POSITIVE_INFINITY && sentAt.size === 0) return finish();
      return pump();
    });
    call.on('drain', () => {
      writable = true;
      pump();
    });
    call.on('error', fail);
    call.on('end', () => {
      if (!settled) fail(new Error(`stream ended after ${answered} answers, before the run was over`));
    });
    if (measuring) startMeasuring();
    pump();
  });
}
