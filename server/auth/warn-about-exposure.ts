/**
 * The start-up warning for a server reachable beyond loopback without tokens or without TLS.
 * Both are allowed (the operator may have a reason), so it is said in the log rather than refused.
 */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { isLoopbackAddress } from './is-loopback.js';

/** Says so in the log when the operator exposed the server without tokens or without TLS. */
export function warnAboutExposure(config: ServerConfig, tls: boolean, tokens: boolean, logger: Logger): void {
  if (config.host === 'localhost' || isLoopbackAddress(config.host)) return;
  if (!tokens) {
    logger.warn(
      { host: config.host },
      'listening beyond loopback without a token file: anyone who can reach the port may run inference and watch published streams (admin calls stay loopback-only); set --token-file',
    );
  } else if (!tls) {
    logger.warn({ host: config.host }, 'tokens travel in plaintext beyond loopback; set --tls-cert and --tls-key');
  }
}
