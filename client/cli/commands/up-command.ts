/**
 * `sluice up` (what `npm start` runs): the server, the web bridge and a demo stream of rendered
 * moving text published as `demo`, so that the viewer shows live predictions at once. Prints the
 * viewer's URL; SIGINT or SIGTERM drains the server and exits.
 */
import { type Command, Option } from 'commander';
import { DropPolicy, type PredictRequest } from '../../../gen/ts/sluice/v1/inference_service.js';
import { SluiceClient } from '../../sluice-client.js';
import { imageRequest } from '../../image-request.js';
import { paceFrames } from '../../sources/pace-frames.js';
import { SyntheticSource } from '../../sources/synthetic-source.js';

/** Name the demo stream is published under. */
export const DEMO_SESSION = 'demo';

interface UpOptions {
  readonly port?: string;
  readonly host?: string;
  readonly bridgePort: string;
  readonly metricsPort?: string;
  readonly models?: string;
  readonly demo: string | false;
  readonly fps: string;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run the server, the web bridge and a demo stream, and print the viewer URL')
    // No commander defaults for server options: unset, they fall to SLUICE_* variables and then
    // the server's own defaults, as for `sluice serve`.
    .option('--host <address>', 'address the server and the bridge listen on [default: 0.0.0.0]')
    .option('--port <port>', 'gRPC port [default: 50051]')
    .addOption(new Option('--bridge-port <port>', 'web bridge and viewer port').env('SLUICE_BRIDGE_PORT').default('8080'))
    .option('--metrics-port <port>', 'Prometheus /metrics port (-1: off)')
    .option('--models <dir>', 'model repository folder')
    .addOption(new Option('--demo <model>', 'model the demo stream runs').default('ocr'))
    .option('--no-demo', 'no demo stream')
    .addOption(new Option('--fps <n>', 'frames per second of the demo stream').default('5'))
    .action(async (options: UpOptions) => {
      const { SluiceServer, resolveServerConfig } = await import('../../../server/index.js');
      const { startBridge } = await import('../../../web-bridge/index.js');
      const flags = { host: options.host, port: options.port, metricsPort: options.metricsPort, modelsDir: options.models };
      const server = await SluiceServer.start(resolveServerConfig({ flags, env: process.env }));
      const target = `127.0.0.1:${server.port}`;
      const bridge = await startBridge({ server: target, host: server.config.host, port: Number(options.bridgePort) });
      const stop = new AbortController();
      const demo = options.demo === false ? Promise.resolve() : runDemo(target, options.demo, Number(options.fps), stop.signal);
      process.stdout.write(`\nSluice is up. gRPC on ${target}; viewer: ${bridge.url}/?session=${DEMO_SESSION}\n\n`);
      await new Promise<void>((resolve) => {
        const onSignal = (): void => resolve();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      stop.abort();
      await demo;
      await bridge.close();
      await server.close();
    });
}

/** Streams rendered frames to `model`, published as the demo session, until `signal` aborts. */
async function runDemo(address: string, model: string, fps: number, signal: AbortSignal): Promise<void> {
  const client = new SluiceClient(address);
  const source = new SyntheticSource({ width: 640, height: 360, fps: fps > 0 ? fps : 5, encoding: 'jpeg' });
  async function* requests(): AsyncGenerator<PredictRequest> {
    for await (const frame of paceFrames(source.frames({ signal }), { fps: () => source.fps, live: false, signal })) {
      yield imageRequest(model, frame.data, frame.id);
    }
  }
  try {
    const streamOptions = { publish: DEMO_SESSION, dropPolicy: DropPolicy.DROP_POLICY_DROP_OLDEST, maxInFlight: 4 };
    for await (const _ of client.predictStream(requests(), { signal, streamOptions })) void _;
  } catch (err: unknown) {
    if (!signal.aborted) process.stderr.write(`sluice: demo stream stopped: ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    client.close();
  }
}
