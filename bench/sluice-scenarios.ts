/**
 * The Sluice scenarios of one model, against one server: `PredictOne` at concurrency 1 and 16, a
 * saturating `Predict` stream, and live mode at twice the stream's capacity.
 */
import { SluiceClient } from '../client/index.js';
import type { InferenceServiceClient } from '../gen/ts/sluice/v1/inference_service.js';
import { type BenchModel, requestFactory } from './bench-models.js';
import { type LiveResult, measureLive } from './live-load.js';
import type { SluiceProcess } from './server-process.js';
import { CLIENT_MAX_MESSAGE_BYTES, type LoadResult, createStub, measurePredictOne, measureStream } from './sluice-load.js';

/** `max_in_flight` of the live stream: small, so that a frame never waits behind many others. */
export const LIVE_WINDOW = 4;
/** The live producer's rate, in multiples of the model's measured stream capacity. */
export const LIVE_OVERLOAD = 2;

/** The scenarios that load a server to a fixed concurrency. */
export type LoadScenario = 'one-c1' | 'one-c16' | 'stream';

/** A server and the clients that drive it. */
export interface Connection {
  readonly server: SluiceProcess;
  readonly client: SluiceClient;
  readonly stub: InferenceServiceClient;
  close(): void;
}

/** Connects to a running server and waits until the channel is ready. */
export async function connect(server: SluiceProcess): Promise<Connection> {
  const client = new SluiceClient(server.address, { maxMessageBytes: CLIENT_MAX_MESSAGE_BYTES });
  await client.waitForReady(10_000);
  const stub = createStub(server.address);
  return {
    server,
    client,
    stub,
    close: () => {
      client.close();
      stub.close();
    },
  };
}

/** Runs one load scenario of `model`. */
export function runLoadScenario(connection: Connection, model: BenchModel, scenario: LoadScenario): Promise<LoadResult> {
  const request = requestFactory(model);
  const serverPid = connection.server.pid;
  switch (scenario) {
    case 'one-c1':
      return measurePredictOne({ client: connection.client, serverPid, request, concurrency: 1, budget: model.budgets.one });
    case 'one-c16':
      return measurePredictOne({ client: connection.client, serverPid, request, concurrency: 16, budget: model.budgets.one });
    case 'stream':
      return measureStream({ stub: connection.stub, serverPid, request, window: model.streamWindow, budget: model.budgets.stream });
  }
}

/** Live mode: frames at `LIVE_OVERLOAD` times `capacity` items/s, dropping the oldest. */
export function runLiveScenario(connection: Connection, model: BenchModel, capacity: number): Promise<LiveResult> {
  return measureLive({
    stub: connection.stub,
    serverPid: connection.server.pid,
    request: requestFactory(model),
    ratePerSec: LIVE_OVERLOAD * capacity,
    seconds: model.budgets.live.seconds,
    window: LIVE_WINDOW,
  });
}
