/**
 * The bridge as its own process: `node dist/web-bridge/main.js [options]` (see `BRIDGE_USAGE` in
 * bridge-flags.ts, or `--help`). It listens on 127.0.0.1 unless told otherwise. SIGHUP rereads the
 * token file. SIGINT or SIGTERM closes gracefully; a second one exits at once.
 */
import { createLogger } from '../server/index.js';
import { BRIDGE_USAGE, readBridgeFlags } from './bridge-flags.js';
import { startBridge } from './start-bridge.js';

async function main(): Promise<void> {
  const flags = readBridgeFlags(process.argv.slice(2), process.env);
  if (flags.help) {
    process.stdout.write(BRIDGE_USAGE);
    return;
  }
  const logger = createLogger({ level: flags.logLevel }).child({ component: 'web-bridge' });
  const bridge = await startBridge({ ...flags.options, logger });
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
  process.on('SIGHUP', () => {
    bridge.reloadTokens().catch((err: unknown) => {
      logger.error({ err }, 'token file not reloaded, the tokens in force stay');
    });
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`sluice-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
