/**
 * Sluice's server: its public surface.
 */
export { SluiceServer } from './sluice-server.js';
export { INFERENCE_SERVICE_NAME, modelHealthName } from './control/model-control.js';
export type { SluiceServerOptions, StopOutcome } from './sluice-server.js';
export { SERVER_OPTIONS, readConfigFile, resolveServerConfig } from './config/server-config.js';
export type { ConfigFile, ConfigSources, ServerConfig } from './config/server-config.js';
export { createLogger } from './logger.js';
export type { LoggerOptions } from './logger.js';
export { SluiceError } from './errors.js';
export type { SluiceErrorCode } from './errors.js';
