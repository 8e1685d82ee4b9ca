import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { GrpcStatus, type PredictRequest, type PredictResponse, PixelFormat, isServiceError } from '../../../client/index.js';
import { InferenceServiceClient } from '../../../gen/ts/sluice/v1/inference_service.js';
import { ByteBudget } from '../../../server/admission/byte-budget.js';
import { startTestServer } from '../../helpers/test-server.js';

const MIB = 1024 * 1024;

test('the budget reserves what fits, lets one item through when empty, and wakes waiters in order', () => {
  const budget = new ByteBudget(100);
  assert.equal(budget.tryReserve(60), true);
  assert.equal(budget.tryReserve(60), false, 'over the limit');
  const woken: string[] = [];
  budget.reserveWhenRoom(50, () => woken.push('first'));
  budget.reserveWhenRoom(10, () => woken.push('second'));
  assert.equal(budget.tryReserve(1), false, 'nobody jumps the line while others wait');
  budget.release(60);
  assert.deepEqual(woken, ['first', 'second']);
  assert.equal(budget.used, 60);
  const stop = budget.reserveWhenRoom(90, () => woken.push('third'));
  stop();
  budget.release(60);
  assert.equal(budget.used, 0);
  assert.deepEqual(woken, ['first', 'second'], 'a waiter that stopped waiting is not woken');
  assert.equal(budget.tryReserve(500), true, 'one item larger than the budget passes when nothing is held');
});

/** A raw grey frame for tiny-heatmap: `bytes` on the wire. */
function rawFrame(id: string, side: number): PredictRequest {
  const pixels = Buffer.alloc(side * side, 100);
  return { id, model: 'tiny-heatmap', inputs: [], image: { data: pixels, width: side, height: side, pixelFormat: PixelFormat.PIXEL_FORMAT_GRAY8 }, returnTensors: false, streamOptions: undefined };
}

test('streams that send more than the byte budget are held to it, every item is answered in order, and a unary call that does not fit is refused', async (t) => {
  const budget = 6 * MIB;
  const { server, address } = await startTestServer(t, { maxInflightBytes: budget, maxStreamBytes: 3 * MIB, streamWindow: 64, workers: 1 });
  const stub = new InferenceServiceClient(address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MIB });
  t.after(() => stub.close());

  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.inflightBytes);
  }, 2);
  t.after(() => clearInterval(sampler));

  const STREAMS = 6;
  const FRAMES = 24;
  const side = 1024; // 1 MiB frames
  const streams = Array.from({ length: STREAMS }, async (_, s) => {
    const call = stub.predict();
    const ids: string[] = [];
    const reading = (async () => {
      for await (const response of call as AsyncIterable<PredictResponse>) {
        assert.equal(response.result?.$case, 'prediction', `stream ${s} item ${response.id}`);
        ids.push(response.id);
      }
    })();
    for (let i = 0; i < FRAMES; i++) {
      if (!call.write(rawFrame(`${s}-${i}`, side))) await new Promise((resolve) => call.once('drain', resolve));
    }
    call.end();
    await reading;
    return ids;
  });

  // While the streams push, a large unary call finds the budget taken and is refused.
  let refused: unknown;
  for (let attempt = 0; attempt < 200 && refused === undefined; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (server.inflightBytes < budget / 2) continue;
    refused = await new Promise((resolve) => stub.predictOne(rawFrame('unary', 2048), (err) => resolve(err ?? 'answered')));
    if (refused === 'answered') refused = undefined;
  }
  const results = await Promise.all(streams);
  clearInterval(sampler);

  results.forEach((ids, s) => assert.deepEqual(ids, Array.from({ length: FRAMES }, (_, i) => `${s}-${i}`), `stream ${s}: every item, in order`));
  t.diagnostic(`peak bytes in flight ${(peak / MIB).toFixed(1)} MiB against a budget of ${budget / MIB} MiB`);
  // A stream's first message arrives before its size is known: each may overshoot by one frame.
  assert.ok(peak <= budget + STREAMS * MIB + 64 * 1024 * STREAMS, `peak ${(peak / MIB).toFixed(1)} MiB`);
  assert.ok(peak >= budget / 2, 'the streams did fill the budget');
  assert.ok(isServiceError(refused) && refused.code === GrpcStatus.RESOURCE_EXHAUSTED, `unary call: ${String(refused)}`);
  assert.match(isServiceError(refused) ? refused.details : '', /--max-inflight-bytes/);
  assert.equal(server.inflightBytes, 0, 'everything answered, nothing held');
});

test('streams over --max-streams or --max-streams-per-connection are refused with RESOURCE_EXHAUSTED, and their places come back', async (t) => {
  const { address } = await startTestServer(t, { maxStreams: 3, maxStreamsPerConnection: 2 });
  const stubs = [0, 1].map((i) => new InferenceServiceClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.primary_user_agent': `c${i}` }));
  t.after(() => stubs.forEach((s) => s.close()));
  const open = (stub: InferenceServiceClient) => {
    const call = stub.predict();
    const status = new Promise<number>((resolve) => {
      call.on('error', (err: { code: number }) => resolve(err.code));
      call.on('end', () => resolve(0));
      call.on('data', () => undefined);
    });
    return { call, status };
  };
  const [first, second] = stubs as [InferenceServiceClient, InferenceServiceClient];
  const a = open(first);
  const b = open(first);
  // Give the server time to take both before the third one on the same connection.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const c = open(first);
  assert.equal(await c.status, GrpcStatus.RESOURCE_EXHAUSTED, 'third stream on one connection');
  const d = open(second);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const e = open(second);
  assert.equal(await e.status, GrpcStatus.RESOURCE_EXHAUSTED, 'fourth stream on the server');
  a.call.end();
  assert.equal(await a.status, 0);
  const f = open(second);
  f.call.end();
  assert.equal(await f.status, 0, 'a place given back is taken again');
  for (const s of [b, d]) {
    s.call.end();
    assert.equal(await s.status, 0);
  }
});

test('Watch calls take places among the streams too', async (t) => {
  const { address } = await startTestServer(t, { maxStreams: 2 });
  const stub = new InferenceServiceClient(address, credentials.createInsecure());
  t.after(() => stub.close());
  const publisher = stub.predict();
  publisher.on('data', () => undefined);
  const published = new Promise<number>((resolve) => {
    publisher.on('error', (err: { code: number }) => resolve(err.code));
    publisher.on('end', () => resolve(0));
  });
  publisher.write({ ...rawFrame('0', 64), streamOptions: { publish: 'cam', private: false, order: 0, maxInFlight: 0, dropPolicy: 0, itemTimeoutMs: 0 } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const watch = () => {
    const call = stub.watch({ session: 'cam', maxWidth: 0 });
    call.on('data', () => undefined);
    const status = new Promise<number>((resolve) => {
      call.on('error', (err: { code: number }) => resolve(err.code));
      call.on('end', () => resolve(0));
    });
    return { call, status };
  };
  const first = watch();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const second = watch();
  assert.equal(await second.status, GrpcStatus.RESOURCE_EXHAUSTED, 'a third stream on a server of two');
  first.call.cancel();
  assert.equal(await first.status, GrpcStatus.CANCELLED);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const third = watch();
  await new Promise((resolve) => setTimeout(resolve, 200));
  publisher.end();
  assert.equal(await published, 0);
  assert.equal(await third.status, 0, 'the place the cancelled watcher gave back was taken, and the watch ended with its stream');
});
