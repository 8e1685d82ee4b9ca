/**
 * The Open Inference Protocol by hand, as the README shows it: `buf curl` with proto3 JSON and no
 * local proto files, resolving `inference.GRPCInferenceService` through server reflection.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { REPO_ROOT } from '../helpers/server-process.js';
import { startTestServer } from '../helpers/test-server.js';

const run = promisify(execFile);
const BUF = join(REPO_ROOT, 'node_modules', '.bin', 'buf');
const SERVICE = '/inference.GRPCInferenceService/';

/** Runs `buf curl` through reflection; `data` is the request body (several JSON objects for a stream). */
async function bufCurl(address: string, path: string, data?: string): Promise<string> {
  const args = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...(data === undefined ? [] : ['--data', data]), `http://${address}${path}`];
  const { stdout } = await run(BUF, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** A BYTES tensor's elements from its raw contents: each a 4-byte little-endian length, then its bytes. */
function strings(base64: string): string[] {
  const raw = Buffer.from(base64, 'base64');
  const values: string[] = [];
  for (let offset = 0; offset < raw.length; ) {
    const length = raw.readUInt32LE(offset);
    values.push(raw.subarray(offset + 4, offset + 4 + length).toString('utf8'));
    offset += 4 + length;
  }
  return values;
}

interface InferResponse {
  id?: string;
  outputs: { name: string; datatype: string; shape: string[] }[];
  rawOutputContents: string[];
}

test('buf curl reaches every Open Inference Protocol RPC through reflection, with proto3 JSON', async (t) => {
  const { address } = await startTestServer(t);
  const methods = await run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-methods', `http://${address}`]);
  for (const method of ['ServerLive', 'ModelMetadata', 'ModelInfer', 'ModelStreamInfer', 'RepositoryModelLoad']) {
    assert.match(methods.stdout, new RegExp(`^inference\\.GRPCInferenceService/${method}$`, 'm'));
  }

  assert.deepEqual(JSON.parse(await bufCurl(address, `${SERVICE}ServerLive`)), { live: true });
  const metadata = JSON.parse(await bufCurl(address, `${SERVICE}ModelMetadata`, '{"name": "add"}')) as { inputs: { name: string; shape: string[] }[] };
  assert.deepEqual(metadata.inputs.map((i) => [i.name, i.shape]), [['a', ['-1', '4']], ['b', ['-1', '4']]]);

  // Typed contents in, raw little-endian contents out (as Triton answers over gRPC).
  const add = `{"modelName": "add", "id": "sum-1", "inputs": [
    {"name": "a", "datatype": "FP32", "shape": ["1", "4"], "contents": {"fp32Contents": [1, 2, 3, 4]}},
    {"name": "b", "datatype": "FP32", "shape": ["1", "4"], "contents": {"fp32Contents": [10, 20, 30, 40]}}]}`;
  const sum = JSON.parse(await bufCurl(address, `${SERVICE}ModelInfer`, add)) as InferResponse;
  assert.equal(sum.id, 'sum-1');
  assert.deepEqual([...new Float32Array(new Uint8Array(Buffer.from(sum.rawOutputContents[0] ?? '', 'base64')).buffer)], [11, 22, 33, 44]);

  // A stream of three: an image, a model that does not exist, and the sum again.
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#d01818' } }).jpeg().toBuffer();
  const image = `{"modelName": "tiny-cnn", "id": "frame-1", "outputs": [{"name": "class_labels"}],
    "inputs": [{"name": "image", "datatype": "BYTES", "shape": ["1"], "contents": {"bytesContents": ["${jpeg.toString('base64')}"]}}]}`;
  const stream = await bufCurl(address, `${SERVICE}ModelStreamInfer`, `${image}\n{"modelName": "nope", "id": "frame-2"}\n${add}`);
  const answers = stream
    .split(/\n(?=\{)/)
    .map((chunk) => JSON.parse(chunk) as { errorMessage?: string; inferResponse: InferResponse });
  assert.deepEqual(answers.map((a) => a.inferResponse.id), ['frame-1', 'frame-2', 'sum-1']);
  assert.deepEqual(strings(answers[0]?.inferResponse.rawOutputContents[0] ?? ''), ['red', 'green', 'blue']);
  assert.match(answers[1]?.errorMessage ?? '', /^NOT_FOUND: /);
  assert.equal(answers[2]?.errorMessage, undefined);
});
