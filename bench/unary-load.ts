/**
 * Unary calls at a fixed concurrency, for either protocol: `concurrency` loops, each making a
 * call and waiting for its answer before the next; first `warmupItems` calls unmeasured, then
 * calls until the budget's time or count is spent, with the server's CPU measured over them.
 */
import { performance } from 'node:perf_hooks';
import type { Budget } from './bench-models.js';
import { type Measured, startMeasuring } from './item-stats.js';

/** Options of `runUnaryLoad`. */
export interface UnaryLoad<T> {
  readonly serverPid: number;
  readonly concurrency: number;
  readonly budget: Budget;
  /** Makes the call with this id. */
  readonly call: (id: string) => Promise<T>;
  /** A measured answer, with its latency. */
  readonly onAnswer: (answer: T, latencyMs: number) => void;
  /** A measured call that failed (a warm-up failure ends the run instead). */
  readonly onError: (err: unknown) => void;
}

/** What a unary run measured. */
export interface UnaryRun extends Measured {
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
}

export async function runUnaryLoad<T>(load: UnaryLoad<T>): Promise<UnaryRun> {
  const { budget } = load;
  let issued = 0;
  const loops = async (until: () => boolean, record: boolean): Promise<void> => {
    const one = async (): Promise<void> => {
      while (until()) {
        const id = String(issued++);
        const start = performance.now();
        try {
          const answer = await load.call(id);
          if (record) load.onAnswer(answer, performance.now() - start);
        } catch (err: unknown) {
          if (!record) throw err;
          load.onError(err);
        }
      }
    };
    await Promise.all(Array.from({ length: load.concurrency }, one));
  };
  await loops(() => issued < budget.warmupItems, false);
  const firstMeasured = issued;
  const end = startMeasuring(load.serverPid);
  const start = performance.now();
  const deadline = start + budget.seconds * 1000;
  await loops(() => issued - firstMeasured < budget.maxItems && performance.now() < deadline, true);
  const seconds = (performance.now() - start) / 1000;
  const measured = end();
  const items = issued - firstMeasured;
  return { items, seconds, itemsPerSec: items / seconds, ...measured };
}
