/**
 * Sluice's web bridge: its public surface. A Fastify app that relays the server's streams to
 * browsers over WebSocket and serves the viewer.
 */
export { createBridge } from './create-bridge.js';
export type { CreateBridgeOptions } from './create-bridge.js';
export { startBridge } from './start-bridge.js';
export type { UpstreamTlsOptions } from './tls-config.js';
export { TOKEN_COOKIE } from './access/token-cookie.js';
export type { AccessRefusal } from './access/access-hook.js';
export type { UpgradeRefusal } from './ws/ws-route.js';
export type { RunningBridge, StartBridgeOptions } from './start-bridge.js';
export { resolveBridgeConfig } from './bridge-config.js';
export type { BridgeConfig, BridgeOptions } from './bridge-config.js';
export { BridgeConfigError } from './bridge-config-error.js';
export { DEFAULT_PUBLIC_DIR } from './package-root.js';
export { MAX_EVALUATE_IMAGES, PROTOCOL_VERSION, WS_ERROR_CODES } from './protocol/messages.js';
export type {
  ActivityCounters,
  ClientMessage,
  EndReason,
  EndedMessage,
  ErrorMessage,
  EvaluateDatasetMessage,
  EvaluateMessage,
  EvaluateStartedMessage,
  EvaluateUploadMessage,
  HelloMessage,
  ResultHeader,
  ServerControlMessage,
  SourceMessage,
  SourceStartedMessage,
  StopMessage,
  WatchMessage,
  WatchingMessage,
  WsErrorCode,
} from './protocol/messages.js';
export { decodeResultFrame, encodeResultFrame } from './protocol/result-frame.js';
export type { DecodedResult } from './protocol/result-frame.js';
export type { PredictResponseJson } from './protocol/predict-response-json.js';
export type { DatasetItemJson, DatasetSummary, MetadataColumn, MetadataValue } from './protocol/dataset-json.js';
export { SHIPPED_DATASETS_DIR, shippedDatasetsDir } from './datasets/shipped-datasets.js';
export { MODEL_UPLOAD_PATH } from './routes/model-routes.js';
