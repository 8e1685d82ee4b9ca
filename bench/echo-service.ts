/**
 * The transport baseline: a raw-bytes echo service over grpc-js, in a process of its own
 * (`echo-server.ts`), driven exactly like a Sluice stream. It carries messages of a model's
 * request size both ways, so its rate is what gRPC alone allows on this machine.
 */
import { type ClientDuplexStream, type ServiceDefinition, credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import type { Budget } from './bench-models.js';
import { benchScript, spawnServing, stopChild } from './child-process.js';
import { LatencyRecorder, type LatencySummary } from '../client/metrics/latency-recorder.js';
import { type ResourceUsage, UsageWindow, selfCpuWindow } from './proc-stats.js';
import { runWindowed } from './windowed-stream.js';

/** Largest message either side accepts. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const identity = (buffer: Buffer): Buffer => buffer;

/** `bench.Echo/Echo`: bidi stream of raw bytes. */
export const ECHO_SERVICE: ServiceDefinition = {
  echo: {
    path: '/bench.Echo/Echo',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The generic client's shape for this service. */
interface EchoClient {
  echo(): ClientDuplexStream<Buffer, Buffer>;
  close(): void;
}

/** One echo measurement. */
export interface EchoResult {
  readonly messageBytes: number;
  readonly window: number;
  readonly items: number;
  readonly seconds: number;
  readonly msgsPerSec: number;
  readonly latency: LatencySummary;
  readonly server: ResourceUsage;
  /** CPU of the load generator (this process), as cores. */
  readonly loadCpuCores: number;
}

/** A running echo server. */
export interface EchoServer {
  readonly pid: number;
  /** Measures one stream of `messageBytes`-byte messages with `window` in flight. */
  measure(messageBytes: number, window: number, budget: Budget): Promise<EchoResult>;
  stop(): Promise<void>;
}

/** Starts the echo server in its own process. */
export async function startEchoServer(): Promise<EchoServer> {
  const serving = await spawnServing({
    args: benchScript('echo-server.ts'),
    portOf: (entry) => (entry.msg === 'echo is serving' && typeof entry.port === 'number' ? entry.port : undefined),
  });
  const Client = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Client(`127.0.0.1:${serving.port}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  }) as unknown as EchoClient;
  return {
    pid: serving.pid,
    measure: async (messageBytes, window, budget) => {
      // Each message starts with its index, so answers can be matched even though they come in order anyway.
      const payload = Buffer.alloc(Math.max(messageBytes, 8), 7);
      const latency = new LatencyRecorder();
      let usage: UsageWindow | undefined;
      let loadCpu: (() => number) | undefined;
      let loadCpuCores = 0;
      let server: ResourceUsage | undefined;
      const call = client.echo();
      const run = await runWindowed<Buffer, Buffer>(call, {
        window,
        budget,
        message: (index) => {
          const message = Buffer.from(payload);
          message.writeDoubleLE(index, 0);
          return message;
        },
        indexOf: (response) => response.readDoubleLE(0),
        onAnswer: (_response, ms) => latency.recordMs(ms),
        onMeasureStart: () => {
          usage = new UsageWindow(serving.pid);
          loadCpu = selfCpuWindow();
        },
        onMeasureEnd: () => {
          server = usage?.close();
          loadCpuCores = loadCpu?.() ?? 0;
        },
      });
      if (server === undefined) throw new Error('echo run measured nothing');
      return { messageBytes: payload.byteLength, window, items: run.items, seconds: run.seconds, msgsPerSec: run.items / run.seconds, latency: latency.summary(), server, loadCpuCores };
    },
    stop: async () => {
      client.close();
      await stopChild(serving.child, serving.exited);
    },
  };
}
