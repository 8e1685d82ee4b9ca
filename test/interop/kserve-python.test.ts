/**
 * The Open Inference Protocol (KServe v2) as a real Python client sees it: grpcio and message
 * classes that protoc generates from protos/inference/ at run time, calling Sluice the way
 * tritonclient does (kserve_client.py, which makes its own checks and prints a summary).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { generatePythonProtos, pythonGrpcMissing, runPython } from '../helpers/python-grpc.js';
import { startTestServer } from '../helpers/test-server.js';

const SCRIPT = join(import.meta.dirname, 'kserve_client.py');
const COLOURS = { red: [230, 20, 20], green: [20, 200, 20], blue: [20, 20, 230] } as const;

/** What kserve_client.py prints on its last line (the parts checked here). */
interface Summary {
  live: boolean;
  ready: boolean;
  server: { extensions: string[] };
  addMetadata: { inputs: [string, string, number[]][]; platform: string; versions: string[] };
  tinyCnnConfig: { name: string; maxBatchSize: number };
  unary: { addSums: number[]; addFromContents: number[]; tinyCnnUnary: string; refusals: Record<string, string>; unimplemented: Record<string, string> };
  stream: { sent: number; ids: string[]; valid: number; errors: Record<string, string>; seconds: number };
  statistics: { tinyCnn: { success: number; inferenceCount: number; executionCount: number }; addSuccess: number };
  repository: { before: string; unloaded: string; reloaded: string; refusals: Record<string, string> };
}

/** The ids the script sends on its stream: "0".."199", with its bad requests and one add after the ones it names. */
function expectedStreamIds(): string[] {
  const ids: string[] = [];
  for (let i = 0; i < 200; i += 1) {
    ids.push(String(i));
    if (i === 49) ids.push('bad-model');
    if (i === 99) ids.push('bad-image');
    if (i === 149) ids.push('bad-dtype');
    if (i === 174) ids.push('add-in-stream');
  }
  return ids;
}

test('a Python gRPC client generated from the KServe v2 protos drives Sluice as tritonclient does', { skip: pythonGrpcMissing() }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kserve-python-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const generated = join(dir, 'generated');
  const images = join(dir, 'images');
  await Promise.all([mkdir(generated), mkdir(images)]);
  await Promise.all([
    generatePythonProtos(generated, ['inference/grpc_service.proto', 'inference/model_config.proto']),
    ...Object.entries(COLOURS).map(async ([name, [r, g, b]]) => {
      const jpeg = await sharp({ create: { width: 48, height: 40, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();
      await writeFile(join(images, `${name}.jpg`), jpeg);
    }),
  ]);
  const { address } = await startTestServer(t);

  const { stdout } = await runPython(SCRIPT, [address, generated, images], { timeoutMs: 100_000 });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Summary;

  assert.equal(summary.live, true);
  assert.equal(summary.ready, true);
  assert.deepEqual(summary.addMetadata.inputs, [['a', 'FP32', [-1, 4]], ['b', 'FP32', [-1, 4]]]);
  assert.equal(summary.addMetadata.platform, 'onnxruntime_onnx');
  assert.deepEqual(summary.addMetadata.versions, ['1']);
  assert.equal(summary.tinyCnnConfig.name, 'tiny-cnn');
  // One image per request: the server batches requests, the request itself has no batch dimension.
  assert.equal(summary.tinyCnnConfig.maxBatchSize, 0);
  // perf_analyzer asks for statistics only when the server lists the extension.
  assert.ok(summary.server.extensions.includes('statistics'), `extensions: ${summary.server.extensions.join(', ')}`);

  assert.deepEqual(summary.unary.addSums, [11, 22, 33, 44, 55, 66, 77, 88]);
  assert.deepEqual(summary.unary.addFromContents, [11, 22, 33, 44]);
  assert.equal(summary.unary.tinyCnnUnary, 'green');
  assert.deepEqual(summary.unary.refusals, { 'wrong byte count': 'INVALID_ARGUMENT', 'unknown model': 'NOT_FOUND', sequence_id: 'INVALID_ARGUMENT' });
  assert.deepEqual(Object.values(summary.unary.unimplemented), ['UNIMPLEMENTED', 'UNIMPLEMENTED', 'UNIMPLEMENTED', 'UNIMPLEMENTED']);

  assert.deepEqual(summary.stream.ids, expectedStreamIds());
  assert.equal(summary.stream.sent, 204);
  assert.deepEqual(Object.keys(summary.stream.errors).sort(), ['bad-dtype', 'bad-image', 'bad-model']);
  // A stream has no status per request: Sluice starts error_message with the status's name.
  assert.match(summary.stream.errors['bad-model'] ?? '', /^NOT_FOUND: /);
  assert.match(summary.stream.errors['bad-image'] ?? '', /^INVALID_ARGUMENT: /);
  assert.match(summary.stream.errors['bad-dtype'] ?? '', /^INVALID_ARGUMENT: /);

  // 200 images on the stream and two unary images; add: two unary calls and one on the stream.
  assert.equal(summary.statistics.tinyCnn.success, 202);
  assert.equal(summary.statistics.tinyCnn.inferenceCount, 202);
  assert.ok(summary.statistics.tinyCnn.executionCount >= 1 && summary.statistics.tinyCnn.executionCount <= 202);
  assert.equal(summary.statistics.addSuccess, 3);

  assert.deepEqual([summary.repository.before, summary.repository.unloaded, summary.repository.reloaded], ['READY', 'UNAVAILABLE', 'READY']);
  assert.equal(summary.repository.refusals['load with parameters'], 'INVALID_ARGUMENT');
  t.diagnostic(`stream of ${summary.stream.sent} requests answered in ${summary.stream.seconds} s`);
});
