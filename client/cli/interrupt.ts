/**
 * Ctrl-C for long-running commands: the first SIGINT aborts a signal so the command can stop
 * cleanly and report what it did; a second one exits at once with 130.
 */

/** A SIGINT handler installed until `dispose()`. */
export interface Interrupt {
  /** Aborted by the first SIGINT. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/** The reason of an interrupted signal. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Interrupted());
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', handler) };
}
