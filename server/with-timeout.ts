/**
 * Waiting for something with a deadline, without cancelling it: the caller decides what to do
 * when time runs out (a shutdown stops draining and abandons what is left).
 */

/**
 * Resolves true when `promise` fulfils within `ms`, false when the time runs out first. The timer
 * is cleared either way and never holds the process open.
 */
export async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
