/**
 * The NATS JetStream scenario's target: every message answered exactly once, with each replica
 * count. There is no throughput target: the issue asks for the figures, not a bound on them.
 */
import type { NatsResult, NatsRun } from './nats-scenario.js';
import type { TargetResult } from './results.js';

function exactlyOnce(run: NatsRun): TargetResult {
  const l = run.load;
  const b = run.broker;
  return {
    id: `nats-exactly-once-${run.replicas}`,
    description: `JetStream, ${run.replicas} replica${run.replicas > 1 ? 's' : ''}: every message answered exactly once, every input acknowledged`,
    measured:
      `${l.published} published, ${l.answered} answered, ${l.duplicates} twice, ${l.missing} missing, ${l.unknown} unknown, ${l.errors} errors, ` +
      `${l.publishErrors} publish errors; ${b.redelivered} redelivered, ${b.ackPending} unacknowledged`,
    met:
      l.answered === l.published && l.missing === 0 && l.duplicates === 0 && l.unknown === 0 && l.errors === 0 && l.publishErrors === 0 &&
      l.publishDuplicates === 0 && b.ackPending === 0 && b.pending === 0,
  };
}

/** One target per replica count measured. */
export function evaluateNatsTargets(result: NatsResult): TargetResult[] {
  return result.runs.map(exactlyOnce);
}
