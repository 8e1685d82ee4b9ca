import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { credentials } from '@grpc/grpc-js';
import { InferenceServiceClient, type PredictRequest, type PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { PixelFormat } from '../../../gen/ts/sluice/v1/image.js';
import { addRequest } from '../../helpers/requests.js';
import { startServerProcess } from '../../helpers/server-process.js';

const MIB = 1024 * 1024;

const FRAME_BYTES = 1024 * 1024;

/**
 * A raw 1024x1024 grey frame for tiny-heatmap (1 MiB on the wire), asking for the 64x64 heatmap
 * back (16 KiB), so that unread responses fill the connection's flow-control windows.
 */
function rawFrame(id: number): PredictRequest {
  const pixels = Buffer.alloc(FRAME_BYTES, id % 251);
  return { id: `${id}`, model: 'tiny-heatmap', inputs: [], image: { data: pixels, width: 1024, height: 1024, pixelFormat: PixelFormat.PIXEL_FORMAT_GRAY8 }, returnTensors: true, streamOptions: undefined };
}

test('a client that sends fast and does not read cannot grow the server\'s memory', async (t) => {
  const server = await startServerProcess(t, ['--stream-window', '8']);
  const stub = new InferenceServiceClient(server.address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MIB });
  t.after(() => stub.close());

  // Warm up so that baseline memory includes loaded sessions and first-run allocations.
  const warm = stub.predict();
  for (let i = 0; i < 16; i++) warm.write(rawFrame(i));
  warm.end();
  for await (const _ of warm as AsyncIterable<PredictResponse>) void _;
  await sleep(200);
  const baseline = server.rss();

  const total = 300; // 300 MiB pushed
  const call = stub.predict();
  call.pause(); // never read until the end
  let written = 0;
  const writer = (async () => {
    for (; written < total; ) {
      const ok = call.write(rawFrame(written));
      written++;
      if (!ok) await once(call, 'drain');
    }
    call.end();
  })();

  // Sample the server while the client pushes without reading.
  let peak = 0;
  while (written < total) {
    peak = Math.max(peak, server.rss() - baseline);
    await sleep(100);
  }
  peak = Math.max(peak, server.rss() - baseline);
  t.diagnostic(`server RSS: baseline ${(baseline / MIB).toFixed(0)} MiB, peak growth ${(peak / MIB).toFixed(0)} MiB while ${total} MiB were pushed`);
  assert.ok(peak < 120 * MIB, `server grew by ${(peak / MIB).toFixed(0)} MiB while ${total} frames (${((total * FRAME_BYTES) / MIB).toFixed(0)} MiB) were pushed at it`);

  // Reading again releases everything: every frame is answered, in order.
  const ids: string[] = [];
  const reader = (async () => {
    for await (const response of call as AsyncIterable<PredictResponse>) ids.push(response.id);
  })();
  call.resume();
  await Promise.all([writer, reader]);
  assert.equal(ids.length, total);
  assert.deepEqual(ids.slice(0, 5), ['0', '1', '2', '3', '4']);
  assert.equal(ids.at(-1), `${total - 1}`);
});

test('SIGTERM drains: accepted items are answered, the stream ends UNAVAILABLE, the process exits 0', async (t) => {
  const server = await startServerProcess(t, ['--stream-window', '32']);
  const stub = new InferenceServiceClient(server.address, credentials.createInsecure());
  t.after(() => stub.close());

  const call = stub.predict();
  const responses: PredictResponse[] = [];
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('data', (r: PredictResponse) => {
      responses.push(r);
      if (responses.length === 5) server.child.kill('SIGTERM');
    });
    call.on('error', (err: { code: number; details: string }) => resolve(err));
    call.on('end', () => resolve({ code: 0, details: 'OK' }));
  });
  // Keep sending while the server drains; it must stop reading, not drop what it read.
  let sent = 0;
  const writer = (async () => {
    while (sent < 2000) {
      const ok = call.write(addRequest(`${sent}`, [sent, 0, 0, 0], [1, 0, 0, 0]));
      sent++;
      if (!ok) await once(call, 'drain').catch(() => undefined);
      if (responses.length > 0 && server.child.exitCode !== null) break;
      if (sent % 50 === 0) await sleep(1);
    }
  })().catch(() => undefined);

  const status = await ended;
  await writer;
  assert.equal(status.code, 14, `UNAVAILABLE expected, got ${status.code} ${status.details}`);
  assert.ok(responses.length >= 5);
  // Answers are contiguous from 0: nothing accepted was skipped.
  responses.forEach((r, i) => assert.equal(r.id, `${i}`));
  assert.ok(responses.every((r) => r.result?.$case === 'prediction'));
  const match = /(\d+) items were read and answered/.exec(status.details);
  assert.equal(Number(match?.[1]), responses.length, status.details);
  assert.equal(await server.exited, 0);
});
