import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrpcStatus, isServiceError } from '../../../client/index.js';
import { METRIC_NAMES } from '../../../server/metrics/server-metrics.js';
import { addRequest, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of one sample line, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels === '' ? `${name} ` : `${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('/metrics counts items by model and outcome, and times them', async (t) => {
  const { server, client } = await startTestServer(t, { metricsPort: 0 });
  const port = server.metricsPort;
  assert.ok(port !== undefined && port > 0);
  const before = await scrape(port);
  for (const name of METRIC_NAMES) assert.match(before, new RegExp(`^# TYPE ${name} `, 'm'), name);
  assert.match(before, /^process_cpu_seconds_total /m);

  for (let i = 0; i < 3; i++) await client.predictOne(addRequest(`${i}`, [1, 2, 3, 4], [1, 1, 1, 1]));
  await assert.rejects(client.predictOne(imageItem('bad', 'tiny-cnn', Buffer.from('not an image'))), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.INVALID_ARGUMENT);
  await assert.rejects(client.predictOne({ ...addRequest('x', [1, 2, 3, 4], [1, 1, 1, 1]), model: 'nope' }), (e: unknown) => isServiceError(e) && e.code === GrpcStatus.NOT_FOUND);
  const streamed = [];
  for await (const r of client.predictStream([addRequest('s', [1, 1, 1, 1], [1, 1, 1, 1]), { ...addRequest('w', [1, 1, 1, 1], [1, 1, 1, 1]), inputs: [] }])) streamed.push(r);
  assert.equal(streamed.length, 2);

  const after = await scrape(port);
  assert.equal(sample(after, 'sluice_items_total', 'model="add",outcome="success"'), 4);
  assert.equal(sample(after, 'sluice_items_total', 'model="add",outcome="invalid"'), 1);
  assert.equal(sample(after, 'sluice_items_total', 'model="tiny-cnn",outcome="invalid"'), 1);
  assert.equal(sample(after, 'sluice_items_total', 'model="_unknown",outcome="not_found"'), 1);
  assert.equal(sample(after, 'sluice_requests_total', 'rpc="PredictOne"'), 5);
  assert.equal(sample(after, 'sluice_requests_total', 'rpc="Predict"'), 1);
  assert.equal(sample(after, 'sluice_inference_duration_seconds_count', 'model="add"'), 4);
  assert.equal(sample(after, 'sluice_batch_size_count', 'model="add"'), 4);
  assert.equal(sample(after, 'sluice_queue_depth', 'model="add"'), 0);
  assert.ok(sample(after, 'sluice_worker_utilization') > 0);

  const missing = await fetch(`http://127.0.0.1:${port}/other`);
  assert.equal(missing.status, 404);
});
