/** An invalid bridge option; the message names the option. */
export class BridgeConfigError extends Error {
  readonly code = 'BRIDGE_INVALID_OPTION' as const;
  /** The option's path, e.g. `options.maxFrameBytes`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option} ${message}`);
    this.name = 'BridgeConfigError';
    this.option = option;
  }
}
