/**
 * `sluice up` (what `npm start` runs): the server, the web bridge and a demo stream of rendered
 * moving text published as `demo`, so that the viewer shows live predictions at once. Prints the
 * viewer's URL; SIGINT or SIGTERM drains the server and exits.
 *
 * With TLS (`--tls-cert`, `--tls-key`) the bridge serves HTTPS with the same pair and reaches the
 * server over TLS, trusting `--ca` or, without it, the server's own certificate (a self-signed
 * one). With `--token-file` both check the same tokens, and the demo and the bridge's calls to
 * the server use `--token`.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { DropPolicy, type PredictRequest } from '../../../gen/ts/sluice/v1/inference_service.js';
import type { ConnectionSecurity } from '../../connection-security.js';
import { SluiceClient } from '../../sluice-client.js';
import { CliError, type GlobalOptions } from '../cli-context.js';
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
  readonly model?: readonly string[];
  readonly postprocess?: string;
  readonly labels?: string;
  /** Undefined: `ocr`, or the first `--model` file when there is one. */
  readonly demo?: string | false;
  readonly fps: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsClientCa?: string;
  readonly tokenFile?: string;
  /** Undefined: the shipped `eval/datasets`, when it exists. */
  readonly datasets?: string;
}

export function registerUpCommand(program: Command, globals: () => GlobalOptions & { readonly paths: UpstreamPaths }): void {
  program
    .command('up')
    .description('run the server, the web bridge and a demo stream, and print the viewer URL')
    // No commander defaults for server options: unset, they fall to SLUICE_* variables and then
    // the server's own defaults, as for `sluice serve`.
    .option('--host <address>', 'address the server and the bridge listen on [default: 127.0.0.1]')
    .option('--port <port>', 'gRPC port [default: 50051]')
    .addOption(new Option('--bridge-port <port>', 'web bridge and viewer port').env('SLUICE_BRIDGE_PORT').default('8080'))
    .option('--metrics-port <port>', 'Prometheus /metrics port (-1: off)')
    .option('--models <dir>', 'model repository folder')
    .addOption(
      new Option('--model <[name=]file.onnx>', 'serve an ONNX file with its configuration inferred (repeatable)')
        .argParser((spec: string, specs: string[] | undefined) => [...(specs ?? []), spec]),
    )
    .option('--postprocess <kind>', 'postprocessor of the --model files (see sluice serve --help)')
    .option('--labels <file>', 'labels of the --model files, one per line')
    .option('--demo <model>', 'model the demo stream runs [default: ocr, or the first --model]')
    .option('--no-demo', 'no demo stream')
    .addOption(new Option('--fps <n>', 'frames per second of the demo stream').default('5'))
    .option('--tls-cert <file>', 'serve gRPC and the viewer over TLS with this PEM certificate chain (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA on the gRPC port (give the demo --cert and --key)')
    .option('--token-file <file>', 'tokens and roles for the server and the viewer (the demo and the bridge use --token)')
    .option('--datasets <dir>', 'labelled datasets for the evaluation page, one subfolder each [default: the shipped eval/datasets]')
    .action(async (options: UpOptions) => {
      const global = globals();
      const { SluiceServer, resolveServerConfig } = await import('../../../server/index.js');
      const { shippedDatasetsDir, startBridge } = await import('../../../web-bridge/index.js');
      const flags = {
        host: options.host,
        port: options.port,
        metricsPort: options.metricsPort,
        modelsDir: options.models,
        modelFiles: options.model,
        postprocess: options.postprocess,
        labels: options.labels,
        tlsCert: options.tlsCert,
        tlsKey: options.tlsKey,
        tlsClientCa: options.tlsClientCa,
        tokenFile: options.tokenFile,
      };
      const config = resolveServerConfig({ flags, env: process.env });
      if (config.tokenFile !== '' && global.security.token === undefined) {
        throw new CliError('with --token-file, give --token (or SLUICE_TOKEN): a token with the infer and watch roles, for the demo stream and the bridge');
      }
      const server = await SluiceServer.start(config);
      const target = `127.0.0.1:${server.port}`;
      // Inside one process the server's own certificate is a fair trust anchor when no CA is given.
      const upstreamTls = config.tlsCert === '' ? undefined : { ...global.paths, ca: global.paths.ca ?? config.tlsCert };
      const security = await demoSecurity(global.security, config.tlsCert);
      const datasets = options.datasets ?? shippedDatasetsDir();
      const bridge = await startBridge({
        server: target,
        host: server.config.host,
        port: Number(options.bridgePort),
        ...(config.tlsCert === '' ? {} : { tlsCert: config.tlsCert, tlsKey: config.tlsKey }),
        ...(config.tokenFile === '' ? {} : { tokenFile: config.tokenFile }),
        ...(upstreamTls === undefined ? {} : { upstreamTls }),
        ...(global.security.token === undefined ? {} : { upstreamToken: global.security.token }),
        ...(datasets === undefined ? {} : { datasets }),
      });
      const stop = new AbortController();
      const demoModel = options.demo ?? config.modelFiles[0]?.name ?? 'ocr';
      const demo = demoModel === false ? Promise.resolve() : runDemo(target, security, demoModel, Number(options.fps), stop.signal);
      const login = config.tokenFile === '' ? '' : ' (open it once with &token=<your token>)';
      process.stdout.write(`\nSluice is up. gRPC on ${target}; viewer: ${bridge.url}/?session=${DEMO_SESSION}${login}\n\n`);
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

/** Paths of the connection's PEM files, as the bridge takes them. */
export interface UpstreamPaths {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

/**
 * The demo client's security: the global flags', and with a server serving TLS, trusting `--ca`
 * (already read with the flags) or else the server's own certificate.
 */
async function demoSecurity(global: ConnectionSecurity, serverCert: string): Promise<ConnectionSecurity> {
  if (serverCert === '') return global;
  const tls = typeof global.tls === 'object' ? global.tls : {};
  return { ...global, tls: { ...tls, ca: tls.ca ?? (await readFile(serverCert)) } };
}

/** Streams rendered frames to `model`, published as the demo session, until `signal` aborts. */
/**
 * The demo stream: rendered 640x360 frames at `fps` to `model`, published as `demo` with the
 * freshest-frame policy, until `signal` aborts. A failure is reported on stderr, not thrown: the
 * server and the viewer go on without the demo.
 */
export async function runDemo(address: string, security: ConnectionSecurity, model: string, fps: number, signal: AbortSignal): Promise<void> {
  const client = new SluiceClient(address, security);
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
