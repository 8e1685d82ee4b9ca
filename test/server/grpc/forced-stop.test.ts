import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentials } from '@grpc/grpc-js';
import { InferenceServiceClient, type PredictResponse } from '../../../gen/ts/sluice/v1/inference_service.js';
import { renderText } from '../../helpers/images.js';
import { imageItem } from '../../helpers/requests.js';
import { type ServerProcess, startServerProcess } from '../../helpers/server-process.js';

/**
 * Streams detector frames (a run takes a good fraction of a second) until the first answer, then
 * signals the server with `signals`, `gapMs` apart, while runs are in progress; returns how the
 * stream ended.
 */
async function stopWhileRunning(server: ServerProcess, signals: number, gapMs: number): Promise<{ answered: number; code: number; details: string }> {
  const page = await renderText(1280, 1280, [{ text: 'a slow frame to read', x: 60, y: 640, size: 90 }]);
  const stub = new InferenceServiceClient(server.address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  try {
    const call = stub.predict();
    let answered = 0;
    const ended = new Promise<{ code: number; details: string }>((resolve) => {
      call.on('data', (_: PredictResponse) => {
        answered++;
        if (answered !== 1) return;
        for (let i = 0; i < signals; i++) setTimeout(() => server.child.kill('SIGTERM'), i * gapMs);
      });
      call.on('error', (err: { code: number; details: string }) => resolve(err));
      call.on('end', () => resolve({ code: 0, details: 'OK' }));
    });
    for (let i = 0; i < 12; i++) call.write(imageItem(`${i}`, 'ppocr-det', page));
    const status = await ended;
    return { answered, ...status };
  } finally {
    stub.close();
  }
}

/** A forced stop: exit code 3, no signal death, the stream ended UNAVAILABLE, the log says why. */
async function assertForcedStop(server: ServerProcess, ended: { code: number; details: string }, reason: string): Promise<void> {
  const code = await server.exited;
  assert.equal(server.child.signalCode, null, `the server died of ${server.child.signalCode}`);
  assert.equal(code, 3);
  assert.equal(ended.code, 14, `the stream ends UNAVAILABLE, got ${ended.code} ${ended.details}`);
  assert.ok(server.logs.some((l) => l.msg === 'abandoning what is left' && l.reason === reason));
}

test('a drain that times out while onnxruntime runs abandons the runs and exits 3, never by a signal', async (t) => {
  const server = await startServerProcess(t, ['--drain-timeout', '20', '--stream-window', '12']);
  await assertForcedStop(server, await stopWhileRunning(server, 1, 0), 'drain timed out');
});

test('a second SIGTERM while onnxruntime runs stops at once and exits 3, never by a signal', async (t) => {
  const server = await startServerProcess(t, ['--stream-window', '12']);
  await assertForcedStop(server, await stopWhileRunning(server, 2, 30), 'stopped at once');
});
