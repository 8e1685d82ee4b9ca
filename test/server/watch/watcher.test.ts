import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import { InferenceServiceClient, type StreamOptions, type WatchResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { MAX_WATCH_WIDTH } from '../../../server/watch/watcher.js';
import { solidPng } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

function publishOptions(name: string): StreamOptions {
  return { order: 0, maxInFlight: 4, dropPolicy: 0, itemTimeoutMs: 0, publish: name, private: false };
}

test('a watcher cannot ask for display images wider than the bound: wider requests get the bound', async (t) => {
  const { address } = await startTestServer(t);
  const stub = new InferenceServiceClient(address, credentials.createInsecure());
  t.after(() => stub.close());
  assert.equal(MAX_WATCH_WIDTH, 1920, 'the bound the proto documents');
  const wide = await solidPng(3000, 300, [0, 0, 255]);

  const producer = stub.predict();
  producer.write({ ...imageItem('0', 'tiny-cnn', wide), streamOptions: publishOptions('wide') });
  await once(producer, 'data');
  const greedy = stub.watch({ session: 'wide', maxWidth: 100_000 });
  const modest = stub.watch({ session: 'wide', maxWidth: 500 });
  const seen = { greedy: [] as WatchResponse[], modest: [] as WatchResponse[] };
  greedy.on('data', (e: WatchResponse) => seen.greedy.push(e));
  modest.on('data', (e: WatchResponse) => seen.modest.push(e));
  const ended = Promise.all([once(greedy, 'end'), once(modest, 'end')]);
  await sleep(100); // both watches are registered before the next frames go

  for (let i = 1; i <= 3; i++) producer.write(imageItem(`${i}`, 'tiny-cnn', wide));
  producer.end();
  producer.resume();
  await ended;

  assert.ok(seen.greedy.length > 0 && seen.modest.length > 0, 'both watchers saw frames');
  // Both get the widest image any watcher may have, at most the bound: one JPEG is made per frame.
  for (const event of [...seen.greedy, ...seen.modest]) {
    assert.deepEqual([event.width, event.height], [MAX_WATCH_WIDTH, 192]);
  }
});
