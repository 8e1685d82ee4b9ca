/**
 * Fuzzes the Open Inference Protocol's request decoding: valid `ModelInferRequest`s (tensors for
 * `add` as raw and typed contents, images for tiny-cnn as raw and typed BYTES, with requested
 * outputs and a timeout) are mutated at the wire level and sent as raw bytes on streams and unary
 * calls. Every message must be answered, never with INTERNAL, and the server must serve on.
 *
 * SLUICE_FUZZ_SEED replays a run (the seed is printed as a diagnostic and in every failure).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { type Client, type ServiceError, credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import sharp from 'sharp';
import { ModelInferRequest, ModelInferResponse } from '../../../gen/ts/inference/grpc_service.js';
import { Prng } from '../../helpers/prng.js';
import { ProtobufMutator } from '../../helpers/protobuf-mutator.js';
import { addInfer, floatsOf, imageInfer, inferRequest, kserveClient, outputOf, rawStreamClient, streamInfer, unary } from '../../helpers/kserve-client.js';
import { startTestServer } from '../../helpers/test-server.js';

const SEED = process.env.SLUICE_FUZZ_SEED === undefined || process.env.SLUICE_FUZZ_SEED === '' ? randomInt(2 ** 32) : Number(process.env.SLUICE_FUZZ_SEED);
const STREAMS = 3;
const PER_STREAM = 150;
const UNARY_CALLS = 150;
/** Statuses an item may end with: refused, unknown model or version, timed out, or over a limit. */
const ITEM_CODES: ReadonlySet<number> = new Set([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);

interface RawUnaryClient extends Client {
  modelInfer(request: Buffer, callback: (err: ServiceError | null, response: Buffer) => void): void;
}

const RawUnary = makeGenericClientConstructor(
  {
    modelInfer: {
      path: '/inference.GRPCInferenceService/ModelInfer',
      requestStream: false,
      responseStream: false,
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  },
  'RawKserveUnary',
);

async function seeds(): Promise<Uint8Array[]> {
  const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 20, g: 200, b: 20 } } }).jpeg().toBuffer();
  const timed = addInfer('timed', [1, 2, 3, 4], [1, 1, 1, 1], { outputs: ['sum'], parameters: { timeout: { parameterChoice: { $case: 'int64Param', value: 30_000_000n } } } });
  const requests = [
    addInfer('raw', [1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 1, 1, 1, 1]),
    timed,
    inferRequest({ model: 'add', id: 'typed', inputs: ['a', 'b'].map((name) => ({ name, datatype: 'FP32', shape: [1, 4], contents: { fp32Contents: [1, 2, 3, 4] } })) }),
    imageInfer('image', 'tiny-cnn', jpeg, ['class_ids', 'probs']),
    inferRequest({ model: 'tiny-cnn', id: 'typed-image', inputs: [{ name: 'image', datatype: 'BYTES', shape: [1, 1], contents: { bytesContents: [jpeg] } }] }),
  ];
  return requests.map((r) => ModelInferRequest.encode(r).finish());
}

test(`mutated ModelInferRequests are each answered, never INTERNAL, and the server serves on (seed ${SEED})`, async (t) => {
  t.diagnostic(`SLUICE_FUZZ_SEED=${SEED}`);
  const { address } = await startTestServer(t);
  const valid = await seeds();
  const mutator = new ProtobufMutator(valid);

  const streamRuns = Array.from({ length: STREAMS }, async (_, s) => {
    const prng = new Prng(SEED + s);
    const messages = Array.from({ length: PER_STREAM }, () => {
      const seed = prng.pick(valid);
      return prng.chance(0.1) ? seed : mutator.mutate(seed, prng).bytes;
    });
    const responses = await streamInfer(rawStreamClient(t, address), messages);
    assert.equal(responses.length, messages.length, `stream ${s} answers every message (seed ${SEED})`);
    const internal = responses.filter((r) => /^(INTERNAL|UNKNOWN)/.test(r.errorMessage));
    assert.deepEqual(internal.map((r) => r.errorMessage), [], `stream ${s} (seed ${SEED})`);
  });

  const unaryRun = (async () => {
    const client = new RawUnary(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as RawUnaryClient;
    t.after(() => client.close());
    const prng = new Prng(SEED + STREAMS);
    for (let i = 0; i < UNARY_CALLS; i++) {
      const bytes = mutator.mutate(prng.pick(valid), prng).bytes;
      const code = await new Promise<number>((resolve) => client.modelInfer(bytes, (err, response) => {
        if (err === null) ModelInferResponse.decode(response);
        resolve(err?.code ?? status.OK);
      }));
      assert.ok(ITEM_CODES.has(code), `unary call ${i} ended ${status[code]} for ${bytes.toString('hex').slice(0, 400)} (seed ${SEED})`);
    }
  })();
  await Promise.all([...streamRuns, unaryRun]);

  const client = kserveClient(t, address);
  const answer = await unary(client.modelInfer.bind(client), addInfer('after', [1, 2, 3, 4], [1, 1, 1, 1]));
  assert.deepEqual(floatsOf(outputOf(answer, 'sum')), [2, 3, 4, 5]);
});
