/**
 * Sluice's server: its public surface.
 */
export { SluiceServer } from './sluice-server.js';
export { INFERENCE_SERVICE_NAME, modelHealthName } from './control/inference-service-name.js';
export type { SluiceServerOptions, StopOutcome } from './sluice-server.js';
export { resolveServerConfig } from './config/server-config.js';
export type { ConfigSources, OptionName, ServerConfig } from './config/server-config.js';
export { SERVER_OPTIONS } from './config/server-options.js';
export { readConfigFile } from './config/read-config-file.js';
export type { ConfigFile } from './config/read-config-file.js';
export { modelFileOverrides } from './config/model-file-overrides.js';
export { type LoadOptions, type LoadedModel, loadModel, loadModelFile } from './repository/load-model.js';
export { type ModelFile, ModelRepository, type RepositoryOptions } from './repository/model-repository.js';
export { type ModelOverrides, POSTPROCESS_NAMES, type PostprocessName } from './repository/model-overrides.js';
export { createLogger } from './logger.js';
export type { LoggerOptions } from './logger.js';
export { SluiceError } from './errors.js';
export type { SluiceErrorCode } from './errors.js';
export { Authorizer, type AuthorizerOptions } from './auth/authorizer.js';
export { bearerToken } from './auth/bearer-token.js';
export { isLoopbackAddress, isLoopbackPeer } from './auth/is-loopback.js';
export type { Principal } from './auth/principal.js';
export { ROLES, type Requirement, type Role } from './auth/roles.js';
export { MIN_TOKEN_LENGTH, TokenTable } from './auth/token-table.js';
export { type BindingConfig, checkBindings, parseBinding, parseBindingSpec } from './ingest/binding-config.js';
export { INGEST_CONTENT_TYPES, INGEST_HEADERS, type IngestInputKind, type ResultFormat, inputKindOf } from './ingest/ingest-headers.js';
export { INGEST_METRIC_NAMES } from './ingest/ingest-metrics.js';
export { bindingHealthName } from './ingest/ingestion.js';
