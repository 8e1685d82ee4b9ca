/**
 * What a stream's first message asks of the stream in its `stream_options`: how many items it may
 * hold, in which order answers go out, what happens when it is full, and how long an item may wait
 * to start. Publishing is left to the session, which owns the stream's place in the registry.
 */
import { DropPolicy, ResponseOrder, type StreamOptions } from '../../gen/ts/sluice/v1/inference_service.js';
import { now } from '../scheduler/work-item.js';

/** Longest item timeout a timer can express (setTimeout's limit). */
const MAX_ITEM_TIMEOUT_MS = 2 ** 31 - 1;

/** A stream's settings: the server's defaults until the first message's options are applied. */
export class StreamOptionsState {
  readonly #maxWindow: number;
  #window: number;
  #completionOrder = false;
  #dropOldest = false;
  /** 0: items wait as long as they must. */
  #itemTimeoutMs = 0;

  /** `window` is the server's default window; a client may ask for up to `maxWindow`. */
  constructor(window: number, maxWindow: number) {
    this.#window = window;
    this.#maxWindow = maxWindow;
  }

  /** Items the stream may hold read and not yet written out. */
  get window(): number {
    return this.#window;
  }

  /** Answers go out as they complete rather than in request order. */
  get completionOrder(): boolean {
    return this.#completionOrder;
  }

  /** DROP_POLICY_DROP_OLDEST: a full stream pushes out its oldest waiting item instead of pausing. */
  get dropOldest(): boolean {
    return this.#dropOldest;
  }

  /** Takes the first message's options; a window larger than the server allows is capped. */
  apply(options: StreamOptions): void {
    this.#completionOrder = options.order === ResponseOrder.RESPONSE_ORDER_COMPLETION;
    if (options.maxInFlight > 0) this.#window = Math.min(options.maxInFlight, this.#maxWindow);
    this.#dropOldest = options.dropPolicy === DropPolicy.DROP_POLICY_DROP_OLDEST;
    this.#itemTimeoutMs = Math.min(options.itemTimeoutMs, MAX_ITEM_TIMEOUT_MS);
  }

  /**
   * When an item must have started: the stream's item timeout or the item's own (`ownTimeoutMs`),
   * the earlier; undefined when neither is set.
   */
  deadlineOf(ownTimeoutMs: number | undefined): number | undefined {
    const own = ownTimeoutMs ?? Infinity;
    const timeout = Math.min(this.#itemTimeoutMs > 0 ? this.#itemTimeoutMs : Infinity, own);
    return Number.isFinite(timeout) ? now() + Math.min(timeout, MAX_ITEM_TIMEOUT_MS) : undefined;
  }
}
