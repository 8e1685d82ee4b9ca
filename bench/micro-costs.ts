/**
 * `node --import tsx bench/micro-costs.ts`: the two costs the README's account of the overhead
 * ratio rests on, measured alone.
 * - A hand-off to a worker thread and back: a message to an idle worker and its reply, as every
 *   run makes (wall time, the main thread's CPU and the whole process's CPU per round trip).
 * - Writing a 4.9 MB float32 detector frame: the generated encoder with the generated gRPC
 *   serializer's copy, against the client's `encodePredictRequest`.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DataType, PredictRequest, encodePredictRequest } from '../client/index.js';

/** CPU of this process's main thread so far, in microseconds (from /proc, 10 ms ticks). */
function mainThreadCpuUs(): number {
  const fields = (readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function threadHop(roundTrips: number): Promise<void> {
  const worker = new Worker('require("node:worker_threads").parentPort.on("message", (m) => require("node:worker_threads").parentPort.postMessage(m));', { eval: true });
  const once = (i: number): Promise<unknown> =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(i);
    });
  for (let i = 0; i < 500; i++) await once(i);
  const [main, cpu, start] = [mainThreadCpuUs(), process.cpuUsage(), performance.now()];
  for (let i = 0; i < roundTrips; i++) await once(i);
  const used = process.cpuUsage(cpu);
  const perTrip = (us: number): string => (us / roundTrips).toFixed(1);
  process.stdout.write(
    `hand-off to an idle worker and back: ${perTrip((performance.now() - start) * 1000)} µs wall, ` +
      `${perTrip(mainThreadCpuUs() - main)} µs of main-thread CPU, ${perTrip(used.user + used.system)} µs of process CPU per round trip\n`,
  );
  await worker.terminate();
}

function encodeFrame(times: number): void {
  const request: PredictRequest = {
    id: '1',
    model: 'ppocr-det',
    inputs: [{ name: 'x', dtype: DataType.DATA_TYPE_FLOAT32, shape: [1n, 3n, 640n, 640n], rawData: new Uint8Array(3 * 640 * 640 * 4), floatData: [] }],
    image: undefined,
    returnTensors: false,
    streamOptions: undefined,
  };
  const ways: [string, () => Uint8Array][] = [
    ['generated encoder + serializer copy', () => Buffer.from(PredictRequest.encode(request).finish())],
    ['encodePredictRequest', () => encodePredictRequest(request)],
  ];
  for (const [label, encode] of ways) {
    for (let i = 0; i < 5; i++) encode();
    const cpu = process.cpuUsage();
    for (let i = 0; i < times; i++) encode();
    const used = process.cpuUsage(cpu);
    process.stdout.write(`4.9 MB frame, ${label}: ${((used.user + used.system) / times / 1000).toFixed(1)} ms of CPU\n`);
  }
}

await threadHop(5000);
encodeFrame(40);
