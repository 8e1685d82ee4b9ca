import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PredictRequest } from '../../../client/index.js';
import { solidPng } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('1000 cancelled streams leave no queued items, sessions, handles or heap behind', async (t) => {
  const { client, server } = await startTestServer(t, { streamWindow: 4 });
  const png = await solidPng(64, 64, [200, 30, 30]);

  // Warm up the channel and the workers so the baseline includes them.
  for await (const _ of client.predictStream([imageItem('warm', 'tiny-cnn', png)])) void _;
  const baselineHeap = await settledHeap();
  const baselineHandles = process.getActiveResourcesInfo().length;

  const controllers: AbortController[] = [];
  const consumers: Promise<void>[] = [];
  let answered = 0;
  for (let s = 0; s < 1000; s++) {
    const abort = new AbortController();
    controllers.push(abort);
    async function* frames(): AsyncGenerator<PredictRequest> {
      for (let i = 0; ; i++) {
        yield imageItem(`${s}/${i}`, 'tiny-cnn', png);
        await sleep(5);
      }
    }
    consumers.push(
      (async () => {
        try {
          for await (const _ of client.predictStream(frames(), { signal: abort.signal })) answered++;
        } catch {
          // cancelled
        }
      })(),
    );
  }
  await until(() => server.openStreams === 1000, '1000 open streams');
  await until(() => answered > 1000, 'answers flowing');
  assert.ok(server.queuedItems > 0, 'items are waiting when the streams are cancelled');

  for (const abort of controllers) abort.abort();
  await Promise.all(consumers);
  await until(() => server.openStreams === 0, 'every session to close');
  await until(() => server.queuedItems === 0, 'every queued item to be withdrawn');
  await sleep(300);

  const heap = await settledHeap();
  const handles = process.getActiveResourcesInfo().length;
  assert.ok(heap - baselineHeap < 15 * 1024 * 1024, `heap grew by ${((heap - baselineHeap) / 1048576).toFixed(1)} MiB`);
  assert.ok(handles <= baselineHandles + 2, `active handles ${baselineHandles} -> ${handles}: ${process.getActiveResourcesInfo().join(',')}`);
});
