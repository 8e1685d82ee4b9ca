import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { GrpcStatus, ModelState, isServiceError } from '../../../client/index.js';
import { renderText } from '../../helpers/images.js';
import { addRequest, floatOutput, imageItem } from '../../helpers/requests.js';
import { startTestServer } from '../../helpers/test-server.js';

const run = promisify(execFile);
const BUF = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'buf');

/** Runs `buf curl` against the server through reflection, as the README shows. */
async function bufCurl(address: string, args: readonly string[], path = ''): Promise<string> {
  const { stdout } = await run(BUF, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args, `http://${address}${path}`], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

test('PredictOne answers one item and reports item errors as the call status', async (t) => {
  const { client } = await startTestServer(t);
  const response = await client.predictOne(addRequest('one', [1, 2, 3, 4], [1, 2, 3, 4]));
  assert.equal(response.id, 'one');
  assert.deepEqual(floatOutput(response, 'sum'), [2, 4, 6, 8]);

  // A request written with float_data, as by hand for grpcurl, gets float_data back.
  const byHand = addRequest('by-hand', [1, 2, 3, 4], [10, 20, 30, 40]);
  const handWritten = await client.predictOne({
    ...byHand,
    inputs: byHand.inputs.map((t, i) => ({ ...t, rawData: Buffer.alloc(0), floatData: i === 0 ? [1, 2, 3, 4] : [10, 20, 30, 40] })),
  });
  assert.equal(handWritten.result?.$case, 'prediction');
  if (handWritten.result?.$case === 'prediction') assert.deepEqual(handWritten.result.value.outputs[0]?.floatData, [11, 22, 33, 44]);

  await assert.rejects(client.predictOne({ ...addRequest('x', [1, 2, 3, 4], [1, 2, 3, 4]), model: 'nope' }), (err: unknown) => isServiceError(err) && err.code === GrpcStatus.NOT_FOUND);
  await assert.rejects(client.predictOne(imageItem('x', 'tiny-cnn', Buffer.from('garbage'))), (err: unknown) => isServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT && /decode/i.test(err.details));
});

test('ListModels and GetModel describe the repository, with -1 for dynamic dimensions', async (t) => {
  const { client } = await startTestServer(t);
  const { models } = await client.listModels();
  const names = models.map((m) => m.name);
  for (const name of ['add', 'ppocr-cls', 'ppocr-det', 'ppocr-rec', 'tiny-cnn']) assert.ok(names.includes(name), `${name} listed`);
  const det = models.find((m) => m.name === 'ppocr-det');
  assert.equal(det?.state, ModelState.MODEL_STATE_READY);
  assert.equal(det?.acceptsImages, true);
  assert.equal(det?.postprocessor, 'text_detection');

  const { config } = await client.getModel('ppocr-det');
  assert.deepEqual(config?.inputs.map((i) => [i.name, i.shape]), [['x', [-1n, 3n, -1n, -1n]]]);
  assert.equal(config?.preprocessing?.stride, 32);
  const rec = await client.getModel('ppocr-rec');
  assert.equal(rec.config?.labels.length, 6623);
  await assert.rejects(client.getModel('missing'), (err: unknown) => isServiceError(err) && err.code === GrpcStatus.NOT_FOUND);
});

test('health reports the server and each model', async (t) => {
  const { client } = await startTestServer(t);
  assert.equal(await client.health(''), 'SERVING');
  assert.equal(await client.health('sluice.v1.InferenceService'), 'SERVING');
  assert.equal(await client.health('sluice.v1.InferenceService/ppocr-det'), 'SERVING');
  assert.equal(await client.health('sluice.v1.InferenceService/unknown'), 'SERVICE_UNKNOWN');
});

test('buf curl lists the services through reflection and runs PredictOne on a PNG of text', async (t) => {
  const { address } = await startTestServer(t);
  const services = await bufCurl(address, ['--list-services']);
  assert.match(services, /sluice\.v1\.InferenceService/);
  assert.match(services, /grpc\.health\.v1\.Health/);

  const methods = await bufCurl(address, ['--list-methods']);
  assert.match(methods, /sluice\.v1\.InferenceService\/Predict\b/);
  assert.match(methods, /grpc\.health\.v1\.Health\/Check/);
  const health = await bufCurl(address, ['--data', '{"service": "sluice.v1.InferenceService/ppocr-det"}'], '/grpc.health.v1.Health/Check');
  assert.equal((JSON.parse(health) as { status: string }).status, 'SERVING');

  const png = await renderText(480, 120, [{ text: 'Hello Sluice', x: 30, y: 80, size: 48 }]);
  const body = JSON.stringify({ model: 'ppocr-det', image: { data: png.toString('base64') } });
  const stdout = await bufCurl(address, ['--data', body], '/sluice.v1.InferenceService/PredictOne');
  const response = JSON.parse(stdout) as { prediction?: { detections?: { xMin?: number; xMax?: number }[] } };
  assert.equal(response.prediction?.detections?.length, 1, stdout);
  assert.ok((response.prediction?.detections?.[0]?.xMax ?? 0) > 250, stdout);
});
