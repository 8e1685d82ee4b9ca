/**
 * What a socket, and the activities it starts, need from the bridge.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { BridgeAccess, Credentials } from '../access/bridge-access.js';
import type { PrivateSessions } from '../access/private-sessions.js';
import type { BridgeConfig } from '../bridge-config.js';
import type { SluiceUpstream } from '../upstream/sluice-upstream.js';

/** What a socket needs from the bridge. */
export interface BridgeSocketDeps {
  readonly config: BridgeConfig;
  readonly upstream: SluiceUpstream;
  readonly logger: FastifyBaseLogger;
  readonly access: BridgeAccess;
  readonly privateSessions: PrivateSessions;
  /** What the upgrade request presented. */
  readonly credentials: Credentials;
}
