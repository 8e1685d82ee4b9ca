/**
 * One run: the images it asked for, the answers so far, and the counts and latencies `sluice
 * batch` keeps (its own `StreamStats`, so throughput and percentiles are computed the same way).
 */
import { StreamStats } from '../../../client/cli/stream/stream-stats.js';
import { type StreamSummary, streamSummary } from '../../../client/cli/stream/stream-summary.js';
import type { ResultHeader } from '../../protocol/messages.js';
import type { RunPlan } from './run-form.js';
import { RunResults, type StoredResult } from './run-results.js';
import type { UploadSender } from './upload-sender.js';

export type RunState = 'starting' | 'running' | 'ended';

export class BatchRun {
  readonly plan: RunPlan;
  readonly results = new RunResults();
  /** Started with the run: its clock is the run's. */
  readonly stats = new StreamStats();
  state: RunState = 'starting';
  /** done, stopped or error, once ended. */
  endReason = '';
  /** The sender of an upload run's files, once the bridge has accepted the run. */
  sender: UploadSender | undefined;
  /** `stop` was sent: the run ends as stopped. */
  stopping = false;
  /** The bridge's name for the run (from `evaluate-started`), which its results and `ended` carry. */
  session = '';

  constructor(plan: RunPlan) {
    this.plan = plan;
  }

  get total(): number {
    return this.plan.items.length;
  }

  /** Stores a result; undefined when its index is not an image of the run. */
  accept(header: ResultHeader): StoredResult | undefined {
    const index = header.index ?? -1;
    const item = this.plan.items[index];
    if (item === undefined || !Number.isInteger(index)) return undefined;
    const stored = this.results.add(index, item, header.response);
    this.stats.record(stored.response, stored.latencyMs);
    // The bridge sends the images; what it has forwarded is what `sluice batch` calls sent.
    this.stats.sent = Math.max(this.stats.sent, header.counters.framesForwarded, this.stats.counts.answered);
    this.sender?.answered();
    return stored;
  }

  end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.stats.finish();
    this.sender?.stop();
  }

  /** The summary `sluice batch` reports (and its HTML report reads). */
  summary(): StreamSummary {
    return streamSummary(this.stats, this.plan.source, this.plan.model.name, this.endReason === 'stopped');
  }
}
