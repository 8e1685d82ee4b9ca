import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictResponse } from '../../../../client/index.js';
import { StreamStats } from '../../../../client/cli/stream/stream-stats.js';
import { formatStreamSummary, statusText, streamSummary } from '../../../../client/cli/stream/stream-summary.js';

/** Stats of a drop-oldest run: 10 frames read, 4 sent (2 predicted, 1 dropped by the server, 1 error), 6 dropped by the client. */
function droppingRun(): StreamStats {
  const stats = new StreamStats();
  stats.sent = 4;
  stats.droppedByClient = 6;
  stats.record(PredictResponse.fromPartial({ result: { $case: 'prediction', value: {} } }), 12);
  stats.record(PredictResponse.fromPartial({ result: { $case: 'prediction', value: {} } }), 14);
  stats.record(PredictResponse.fromPartial({ result: { $case: 'dropped', value: {} } }), 0);
  stats.record(PredictResponse.fromPartial({ result: { $case: 'error', value: { code: 8, message: 'queue full' } } }), 0);
  stats.finish();
  return stats;
}

test('the counts tell frames dropped by the client from frames dropped by the server', () => {
  const counts = droppingRun().counts;
  assert.deepEqual(counts, { sent: 4, answered: 4, predictions: 2, droppedByServer: 1, droppedByClient: 6, errors: 1, skipped: 0 });
  assert.equal(counts.predictions + counts.droppedByServer + counts.errors, counts.answered);
});

test('the status line and the summary show both kinds of drops', () => {
  const stats = droppingRun();
  assert.match(statusText(stats), /^sent 4 {2}answered 4 {2}[\d.]+ fps {2}p50 [\d.]+ ms p99 [\d.]+ ms {2}dropped server 1 client 6 {2}errors 1 {2}[\d.]+ s$/);
  const summary = streamSummary(stats, 'synthetic 640x360 at 60 fps', 'ppocr-det', false);
  assert.deepEqual(summary.frames, stats.counts);
  assert.deepEqual(JSON.parse(JSON.stringify(summary)).frames, { sent: 4, answered: 4, predictions: 2, droppedByServer: 1, droppedByClient: 6, errors: 1, skipped: 0 });
  assert.match(formatStreamSummary(summary), /^frames +4 sent, 4 answered: 2 predicted, 1 dropped by the server, 1 errors \(RESOURCE_EXHAUSTED 1\); 6 dropped by the client$/m);
});
