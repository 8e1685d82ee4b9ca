/**
 * Load on a Sluice server, from this process: `PredictOne` at a fixed concurrency, and one
 * `Predict` stream with a fixed window. Both report items/s, end-to-end latency, server overhead
 * and the server's CPU and memory over the measured part.
 */
import { type ChannelOptions, credentials } from '@grpc/grpc-js';
import { InferenceClient, type SluiceClient, isServiceError } from '../client/index.js';
import { type InferenceServiceClient, type PredictRequest, type PredictResponse, StreamOptions } from '../gen/ts/sluice/v1/inference_service.js';
import type { Budget } from './bench-models.js';
import { type ItemSummary, ItemStats, type Measured, startMeasuring } from './item-stats.js';
import { runUnaryLoad } from './unary-load.js';
import { runWindowed } from './windowed-stream.js';

/** Largest message the benchmark's clients send or accept. */
export const CLIENT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A measured Sluice run. */
export interface LoadResult extends ItemSummary, Measured {
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
}

/** The generated grpc-js stub, with message limits raised for 4.9 MB frames, and any other channel options. */
export function createStub(address: string, options: ChannelOptions = {}): InferenceServiceClient {
  return new InferenceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': CLIENT_MAX_MESSAGE_BYTES,
    ...options,
  });
}

/**
 * A stub on a connection of its own: grpc-js shares one connection per address between channels
 * unless each keeps its own subchannel pool.
 */
export function createOwnConnectionStub(address: string): InferenceServiceClient {
  return createStub(address, { 'grpc.use_local_subchannel_pool': 1 });
}

/** Resolves once the stub's channel is connected; rejects after `timeoutMs`. */
export function waitForReady(stub: InferenceServiceClient, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    stub.waitForReady(new Date(Date.now() + timeoutMs), (err) => (err ? reject(err) : resolve()));
  });
}

/** Options of `measurePredictOne`. */
export interface PredictOneLoad {
  readonly client: SluiceClient;
  readonly serverPid: number;
  readonly request: (id: string) => PredictRequest;
  /** Calls in flight at once. */
  readonly concurrency: number;
  readonly budget: Budget;
}

/**
 * `concurrency` loops, each calling `PredictOne` and waiting for the answer before the next call;
 * first `warmupItems` calls unmeasured, then calls until the budget is spent.
 */
export async function measurePredictOne(load: PredictOneLoad): Promise<LoadResult> {
  const stats = new ItemStats();
  const run = await runUnaryLoad({
    serverPid: load.serverPid,
    concurrency: load.concurrency,
    budget: load.budget,
    call: (id) => load.client.predictOne(load.request(id)),
    onAnswer: (response, ms) => stats.add(response, ms),
    onError: (err) => stats.addError(isServiceError(err) ? `${err.code} ${err.details}` : String(err)),
  });
  return { ...run, ...stats.summary() };
}

/** Options of `measureStream`. */
export interface StreamLoad {
  readonly stub: InferenceServiceClient;
  readonly serverPid: number;
  readonly request: (id: string) => PredictRequest;
  /** Items in flight: asked of the server as `max_in_flight` and kept by the client. */
  readonly window: number;
  readonly budget: Budget;
}

/** One `Predict` stream kept full: `window` items written and not yet answered at all times. */
export async function measureStream(load: StreamLoad): Promise<LoadResult> {
  const stats = new ItemStats();
  const options = StreamOptions.fromPartial({ maxInFlight: load.window });
  let end: (() => Measured) | undefined;
  let measured: Measured | undefined;
  const run = await runWindowed<PredictRequest, PredictResponse>(load.stub.predict(), {
    window: load.window,
    budget: load.budget,
    message: (index) => (index === 0 ? { ...load.request('0'), streamOptions: options } : load.request(String(index))),
    indexOf: (response) => Number(response.id),
    onAnswer: (response, ms) => stats.add(response, ms),
    onMeasureStart: () => {
      end = startMeasuring(load.serverPid);
    },
    onMeasureEnd: () => {
      measured = end?.();
    },
  });
  if (measured === undefined) throw new Error('stream run measured nothing');
  return { items: run.items, seconds: run.seconds, itemsPerSec: run.items / run.seconds, ...stats.summary(), ...measured };
}
