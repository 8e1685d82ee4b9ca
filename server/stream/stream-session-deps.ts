/**
 * What a stream session needs from the server: the models and the scheduler to serve items with,
 * the registry to publish in, the metrics, and the limits every stream is held to.
 */
import type { Logger } from 'pino';
import type { ByteBudget } from '../admission/byte-budget.js';
import type { InputLimits } from '../grpc/prepare-input.js';
import type { Protocol, ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { SessionRegistry } from '../watch/session-registry.js';

/** What a session needs from the server. */
export interface StreamSessionDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  /** Where streams that ask to be published are listed for watchers. */
  readonly published: SessionRegistry;
  readonly metrics: ServerMetrics;
  /** The server's byte budget. */
  readonly budget: ByteBudget;
  /** Bytes one stream may hold (it may always hold one item). */
  readonly maxStreamBytes: number;
  /** Window when the client does not ask for one. */
  readonly streamWindow: number;
  /** Largest window a client may ask for. */
  readonly maxStreamWindow: number;
  /** What one item may ask of a worker (`--max-image-pixels`). */
  readonly inputLimits: InputLimits;
  /** The server's logger; the stream logs under its own `stream` number. */
  readonly logger: Logger;
  /** The stream's number, for its log lines. */
  readonly streamId: number;
  /** Gives the stream's place among the server's open streams back. */
  readonly releaseSlot: () => void;
  /** Name of the caller (its token's name), the owner of the stream if it is published privately. */
  readonly caller: string;
  /** The protocol the stream speaks, for metrics; `sluice` when absent. */
  readonly protocol?: Protocol;
}
