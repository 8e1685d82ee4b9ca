/**
 * The watchdog of one run. A run cannot be stopped (its thread may be inside onnxruntime, and
 * stopping it there aborts the process), so the watchdog only stops waiting: past the timeout the
 * caller gets an error at once while the run goes on, and is told again when it finally returns.
 */

/** What the watchdog reports about a run past its timeout. */
export interface OverdueHooks {
  /** The timeout passed: returns the error the caller gets now. */
  overdue(): Error;
  /** The overdue run has settled; its result is dropped. */
  returned(): void;
}

/** `run`, or the error of `hooks.overdue()` once `timeoutMs` pass without it settling. */
export function withRunTimeout<T>(run: Promise<T>, timeoutMs: number, hooks: OverdueHooks): Promise<T> {
  return new Promise((resolve, reject) => {
    let overdue = false;
    const timer = setTimeout(() => {
      overdue = true;
      reject(hooks.overdue());
    }, timeoutMs);
    timer.unref();
    const settled = (): void => {
      clearTimeout(timer);
      if (overdue) hooks.returned();
    };
    run.then(
      (result) => {
        settled();
        resolve(result);
      },
      (err: unknown) => {
        settled();
        reject(err);
      },
    );
  });
}
