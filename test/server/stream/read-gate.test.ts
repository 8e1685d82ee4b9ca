import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBudget } from '../../../server/admission/byte-budget.js';
import { ReadGate } from '../../../server/stream/read-gate.js';

/** A call's reading side that records what the gate asked of it. */
function recordingCall(): { calls: string[]; pause(): void; resume(): void } {
  const calls: string[] = [];
  return { calls, pause: () => calls.push('pause'), resume: () => calls.push('resume') };
}

test('gates read while they hold a reservation, wait in line without one, and give everything back when closed', () => {
  const budget = new ByteBudget(100);
  const first = recordingCall();
  const second = recordingCall();
  const a: ReadGate = new ReadGate(first, budget, () => a.update(true));
  const b: ReadGate = new ReadGate(second, budget, () => b.update(true));

  a.update(true);
  assert.deepEqual(first.calls, [], 'alone on an empty budget: reading');
  a.received(90);
  assert.equal(budget.used, 90, 'the message is held; its reservation is settled');
  a.update(true);
  assert.deepEqual(first.calls, ['pause'], 'no room for another message like it: paused, in line');
  b.update(true);
  assert.deepEqual(second.calls, ['pause'], 'b is in line behind a');

  budget.release(90); // a's item answered
  assert.deepEqual(first.calls, ['pause', 'resume'], 'a, first in line, reads again');
  assert.deepEqual(second.calls, ['pause'], 'the room a reserved is not b\'s');
  a.received(90);
  a.update(false); // a's own window is full
  budget.release(90);
  assert.deepEqual(second.calls, ['pause', 'resume'], 'b reads once a holds nothing');

  a.close(false);
  b.close(false);
  assert.equal(budget.used, 0, 'closed gates hold nothing');
  a.update(true);
  assert.deepEqual(first.calls, ['pause', 'resume', 'pause'], 'a closed gate never resumes');
});
