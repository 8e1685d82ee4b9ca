/**
 * The `parameters` of an inference request. Sluice honours one, `timeout` (int64, microseconds:
 * how long the request may wait before it must start, as Triton's queue policy reads it; 0 means
 * no limit). Every other parameter is refused with INVALID_ARGUMENT naming it, rather than
 * ignored: a client asking for sequence batching or a priority would otherwise get answers it
 * did not ask for without knowing.
 */
import type { InferParameter } from '../../gen/ts/inference/grpc_service.js';
import { SluiceError } from '../errors.js';

/** What a request's parameters ask of its item. */
export interface InferParameters {
  /** Milliseconds the item may wait before it must start; undefined: no limit of its own. */
  readonly timeoutMs: number | undefined;
}

const invalid = (message: string): never => {
  throw new SluiceError('INVALID_INPUT', message);
};

/** Why a known parameter is not supported, for its message. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  sequence_id: 'sequence batching is not supported: send each request on its own',
  sequence_start: 'sequence batching is not supported: send each request on its own',
  sequence_end: 'sequence batching is not supported: send each request on its own',
  priority: 'priorities are not supported: every request of a model waits in one queue, oldest first',
};

/** Reads a request's parameters; throws INVALID_INPUT naming the first one Sluice does not take. */
export function readInferParameters(parameters: Readonly<Record<string, InferParameter>>): InferParameters {
  let timeoutMs: number | undefined;
  for (const [name, parameter] of Object.entries(parameters)) {
    if (name !== 'timeout') {
      invalid(`parameter ${JSON.stringify(name)} is not supported: ${UNSUPPORTED[name] ?? 'the only request parameter Sluice takes is "timeout"'}`);
    }
    const choice = parameter.parameterChoice;
    if (choice?.$case !== 'int64Param' && choice?.$case !== 'uint64Param') {
      invalid(`parameter "timeout" must be an int64_param (microseconds), not ${choice === undefined ? 'empty' : choice.$case}`);
    } else {
      if (choice.value < 0n) invalid(`parameter "timeout" is ${choice.value}; it must be 0 (no limit) or a positive number of microseconds`);
      timeoutMs = choice.value === 0n ? undefined : Number(choice.value) / 1000;
    }
  }
  return { timeoutMs };
}

/** Throws INVALID_INPUT when an input's or a requested output's `parameters` are set: none is supported. */
export function refuseTensorParameters(what: string, parameters: Readonly<Record<string, InferParameter>>): void {
  const name = Object.keys(parameters)[0];
  if (name !== undefined) invalid(`${what} has parameter ${JSON.stringify(name)}, which is not supported (shared memory and classification parameters are not served)`);
}
