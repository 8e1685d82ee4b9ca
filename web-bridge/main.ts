/**
 * The bridge as its own process:
 *
 *   node dist/web-bridge/main.js [--server host:port] [--port 8080] [--host 0.0.0.0]
 *        [--max-frame-bytes N] [--public-dir DIR] [--log-level info]
 *
 * Flags win over the environment: SLUICE_SERVER (default localhost:50051), SLUICE_BRIDGE_PORT
 * (8080), SLUICE_BRIDGE_HOST (0.0.0.0), SLUICE_BRIDGE_MAX_FRAME_BYTES, SLUICE_BRIDGE_PUBLIC_DIR,
 * SLUICE_LOG_LEVEL (info). SIGINT or SIGTERM closes gracefully; a second one exits at once.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../server/index.js';
import { BridgeConfigError } from './bridge-config-error.js';
import { startBridge } from './start-bridge.js';

function integer(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new BridgeConfigError(option, `must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'public-dir': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write('usage: sluice-bridge [--server host:port] [--port 8080] [--host 0.0.0.0] [--max-frame-bytes N] [--public-dir DIR] [--log-level info]\n');
    return;
  }
  const env = process.env;
  const logger = createLogger({ level: values['log-level'] ?? env['SLUICE_LOG_LEVEL'] ?? 'info' }).child({ component: 'web-bridge' });
  const maxFrameBytes = integer('--max-frame-bytes', values['max-frame-bytes'] ?? env['SLUICE_BRIDGE_MAX_FRAME_BYTES']);
  const publicDir = values['public-dir'] ?? env['SLUICE_BRIDGE_PUBLIC_DIR'];
  const bridge = await startBridge({
    server: values.server ?? env['SLUICE_SERVER'] ?? 'localhost:50051',
    host: values.host ?? env['SLUICE_BRIDGE_HOST'] ?? '0.0.0.0',
    port: integer('--port', values.port ?? env['SLUICE_BRIDGE_PORT']) ?? 8080,
    logger,
    ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
    ...(publicDir === undefined ? {} : { publicDir }),
  });
  logger.info({ url: bridge.url }, `viewer at ${bridge.url}`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(1);
    logger.info({ signal }, 'closing');
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`sluice-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
