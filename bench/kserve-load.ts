/**
 * Load on a Sluice server through the Open Inference Protocol, the way tritonclient drives it:
 * `ModelInfer` at a fixed concurrency, and one `ModelStreamInfer` stream with a fixed window.
 * Requests carry the same tensors as the sluice.v1 scenarios, in `raw_input_contents`.
 *
 * Requests are written as the sluice.v1 client writes its own (`encodePredictRequest`): the body
 * is encoded once and each request is its `id` field in front of it (protobuf parsers merge fields
 * in any order), one copy per write. The generated encoder would copy a 110 KB request three
 * times on the load generator, which shares the machine's two cores with the server.
 */
import { type ClientDuplexStream, type ServiceError, type ServiceDefinition, credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { LatencyRecorder, type LatencySummary } from '../client/metrics/latency-recorder.js';
import {
  GRPCInferenceServiceService,
  ModelInferRequest,
  type ModelInferResponse,
  type ModelStreamInferResponse,
} from '../gen/ts/inference/grpc_service.js';
import type { PredictRequest } from '../gen/ts/sluice/v1/inference_service.js';
import type { Budget } from './bench-models.js';
import { type Measured, startMeasuring } from './item-stats.js';
import { CLIENT_MAX_MESSAGE_BYTES } from './sluice-load.js';
import { runUnaryLoad } from './unary-load.js';
import { runWindowed } from './windowed-stream.js';

/** A measured KServe run. */
export interface KserveLoadResult extends Measured {
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly latency: LatencySummary;
}

/** The two inference calls, writing already-encoded `ModelInferRequest`s. */
export interface KserveStub {
  modelInfer(request: Buffer, callback: (err: ServiceError | null, response: ModelInferResponse) => void): void;
  modelStreamInfer(): ClientDuplexStream<Buffer, ModelStreamInferResponse>;
  close(): void;
}

const identity = (buffer: Buffer): Buffer => buffer;

const KSERVE_CALLS: ServiceDefinition = {
  modelInfer: { ...GRPCInferenceServiceService.modelInfer, requestSerialize: identity },
  modelStreamInfer: { ...GRPCInferenceServiceService.modelStreamInfer, requestSerialize: identity },
};

/** A stub with the benchmark's message limits, on a connection of its own. */
export function createKserveStub(address: string): KserveStub {
  const Stub = makeGenericClientConstructor(KSERVE_CALLS, 'GRPCInferenceService');
  return new Stub(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as KserveStub;
}

/** The sluice.v1 request's tensors as an encoded `ModelInferRequest` (FP32 in raw contents), with `id`. */
export function kserveRequestFactory(request: (id: string) => PredictRequest): (id: string) => Buffer {
  const template = request('0');
  const inputs = template.inputs.map((t) => ({ name: t.name, datatype: 'FP32', shape: [...t.shape], parameters: {}, contents: undefined }));
  const raw = template.inputs.map((t) => Buffer.from(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength));
  const body = ModelInferRequest.encode({ modelName: template.model, modelVersion: '', id: '', parameters: {}, inputs, outputs: [], rawInputContents: raw }).finish();
  return (id) => {
    const head = ModelInferRequest.encode(ModelInferRequest.fromPartial({ id })).finish();
    return Buffer.concat([head, body], head.byteLength + body.byteLength);
  };
}

class Tally {
  readonly latency = new LatencyRecorder();
  errors = 0;
  firstError: string | undefined;

  fail(message: string): void {
    this.errors++;
    this.firstError ??= message;
  }
}

/** Options of `measureModelInfer`. */
export interface ModelInferLoad {
  readonly stub: KserveStub;
  readonly serverPid: number;
  readonly request: (id: string) => Buffer;
  readonly concurrency: number;
  readonly budget: Budget;
}

function modelInfer(stub: KserveStub, request: Buffer): Promise<ModelInferResponse> {
  return new Promise((resolve, reject) => stub.modelInfer(request, (err: ServiceError | null, response) => (err === null ? resolve(response) : reject(err))));
}

/** `concurrency` loops of `ModelInfer`, each waiting for its answer; warm-up first, unmeasured. */
export async function measureModelInfer(load: ModelInferLoad): Promise<KserveLoadResult> {
  const tally = new Tally();
  const run = await runUnaryLoad({
    serverPid: load.serverPid,
    concurrency: load.concurrency,
    budget: load.budget,
    call: (id) => modelInfer(load.stub, load.request(id)),
    onAnswer: (_response, ms) => tally.latency.recordMs(ms),
    onError: (err) => tally.fail(String((err as ServiceError).details ?? err)),
  });
  return { ...run, errors: tally.errors, firstError: tally.firstError, latency: tally.latency.summary() };
}

/** Options of `measureModelStreamInfer`. */
export interface ModelStreamInferLoad {
  readonly stub: KserveStub;
  readonly serverPid: number;
  readonly request: (id: string) => Buffer;
  /** Requests written and not yet answered, kept by the client (the protocol has no window of its own). */
  readonly window: number;
  readonly budget: Budget;
}

/** One `ModelStreamInfer` stream kept full: `window` requests in flight at all times. */
export async function measureModelStreamInfer(load: ModelStreamInferLoad): Promise<KserveLoadResult> {
  const tally = new Tally();
  let end: (() => Measured) | undefined;
  let measured: Measured | undefined;
  const run = await runWindowed<Buffer, ModelStreamInferResponse>(load.stub.modelStreamInfer(), {
    window: load.window,
    budget: load.budget,
    message: (index) => load.request(String(index)),
    indexOf: (response) => Number(response.inferResponse?.id ?? Number.NaN),
    onAnswer: (response, ms) => (response.errorMessage === '' ? tally.latency.recordMs(ms) : tally.fail(response.errorMessage)),
    onMeasureStart: () => {
      end = startMeasuring(load.serverPid);
    },
    onMeasureEnd: () => {
      measured = end?.();
    },
  });
  if (measured === undefined) throw new Error('stream run measured nothing');
  return { items: run.items, seconds: run.seconds, itemsPerSec: run.items / run.seconds, errors: tally.errors, firstError: tally.firstError, latency: tally.latency.summary(), ...measured };
}
