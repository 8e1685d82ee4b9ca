/**
 * The Open Inference Protocol (KServe v2) handlers, `inference.GRPCInferenceService`, served on
 * the same port as `sluice.v1` and behind the same authorization. Like the sluice.v1 handlers they
 * are thin: `ModelInfer` takes the unary path (`answerOne`) and `ModelStreamInfer` a stream
 * session (`serveStream`), with this protocol's codec reading their messages into the same items
 * for the same scheduler; model questions go to the repository, loads and unloads to model
 * control.
 */
import { Metadata, type ServerUnaryCall, type ServiceDefinition, type handleBidiStreamingCall, type handleUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  type GRPCInferenceServiceServer,
  GRPCInferenceServiceService,
  type ModelStatistics,
  type RepositoryIndexResponse_ModelIndex as ModelIndex,
} from '../../gen/ts/inference/grpc_service.js';
import type { PredictResponse } from '../../gen/ts/sluice/v1/inference_service.js';
import type { Authorizer } from '../auth/authorizer.js';
import { callerName } from '../auth/caller-name.js';
import type { ModelControl } from '../control/model-control.js';
import { SluiceError } from '../errors.js';
import { type AnswerOneDeps, answerOne } from '../grpc/answer-one.js';
import type { ReceivedPredict } from '../grpc/predict-codec.js';
import { type ServeStreamDeps, serveStream } from '../grpc/serve-stream.js';
import { toGrpcStatus } from '../grpc/to-grpc-status.js';
import type { CountedRpc } from '../metrics/server-metrics.js';
import { PACKAGE_VERSION } from '../package-root.js';
import type { LoadedModel } from '../repository/load-model.js';
import type { PredictCall } from '../stream/stream-session.js';
import { createKserveCodec } from './kserve-codec.js';
import { kserveModelConfig } from './kserve-model-config.js';
import { kserveSignature } from './kserve-signature.js';
import { MODEL_VERSION, checkVersion } from './model-version.js';

/** Per-model statistics for `ModelStatistics`, as the server's metrics collect them. */
export interface ModelStatisticsSource {
  /** Statistics of `name`, or of every model when it is empty; MODEL_NOT_FOUND for a name the repository lacks. */
  snapshot(name?: string): ModelStatistics[];
}

/** What the handlers need. */
export interface KserveServiceDeps extends ServeStreamDeps, AnswerOneDeps {
  readonly control: ModelControl;
  /** Who the caller is (the interceptor has already checked that it may call). */
  readonly authorizer: Authorizer;
  /** Per-model statistics; without them `statistics` is not among the extensions served. */
  readonly statistics: ModelStatisticsSource | undefined;
}

/** The generated handler types by method, without the index signature grpc-js's type adds. */
type MethodHandlers = { [K in keyof GRPCInferenceServiceServer as string extends K ? never : K]: GRPCInferenceServiceServer[K] };

/** The handlers, with `ModelInfer` and `ModelStreamInfer` taking messages as the codec reads them. */
export type KserveServiceHandlers = Omit<MethodHandlers, 'modelInfer' | 'modelStreamInfer'> & {
  modelInfer: handleUnaryCall<ReceivedPredict, PredictResponse>;
  modelStreamInfer: handleBidiStreamingCall<ReceivedPredict, PredictResponse>;
};

/** The service as the server registers it: its definition (with the codec) and its handlers. */
export interface KserveService {
  readonly definition: ServiceDefinition;
  readonly handlers: KserveServiceHandlers;
}

/** Extensions of the protocol served whatever the configuration. */
const EXTENSIONS = ['model_repository', 'model_configuration'] as const;

/** Builds the service over the given server parts. */
export function createKserveService(deps: KserveServiceDeps): KserveService {
  const { repository, metrics, logger } = deps;
  const codec = createKserveCodec(repository, logger);
  const definition: ServiceDefinition = {
    ...GRPCInferenceServiceService,
    modelInfer: { ...GRPCInferenceServiceService.modelInfer, requestDeserialize: codec.decodeRequest, responseSerialize: codec.encodeResponse },
    modelStreamInfer: { ...GRPCInferenceServiceService.modelStreamInfer, requestDeserialize: codec.decodeRequest, responseSerialize: codec.encodeStreamResponse },
  };

  const ready = (): boolean => deps.accepting() && deps.control.pool.serving;
  /** The model `name` at `version`; MODEL_NOT_FOUND naming whichever is not served. */
  const modelAt = (name: string, version: string): LoadedModel => {
    const model = repository.require(name);
    checkVersion(name, version);
    return model;
  };
  /** Answers a unary call with `answer()`, or with the status of what it throws. */
  const reply = <T>(rpc: CountedRpc, callback: sendUnaryData<T>, answer: () => T | Promise<T>): void => {
    metrics.countRequest(rpc, 'kserve');
    const fail = (err: unknown): void => {
      const { code, details } = toGrpcStatus(err, logger);
      callback({ code, details, metadata: new Metadata() });
    };
    try {
      const answered = answer();
      if (answered instanceof Promise) void answered.then((value) => callback(null, value), fail);
      else callback(null, answered);
    } catch (err: unknown) {
      fail(err);
    }
  };
  const refuseParameters = (parameters: Readonly<Record<string, unknown>>): void => {
    const name = Object.keys(parameters)[0];
    if (name !== undefined) throw new SluiceError('INVALID_INPUT', `parameter ${JSON.stringify(name)} is not supported: models load from their folder in the repository as it is`);
  };
  const checkRepository = (name: string): void => {
    if (name !== '') throw new SluiceError('MODEL_NOT_FOUND', `there is no repository ${JSON.stringify(name)}: Sluice serves one, leave repository_name empty`);
  };
  const checkAccepting = (): void => {
    if (!deps.accepting()) throw new SluiceError('UNAVAILABLE', 'server is shutting down');
  };

  const handlers: KserveServiceHandlers = {
    serverLive: (_call, callback) => reply('ServerLive', callback, () => ({ live: true })),

    serverReady: (_call, callback) => reply('ServerReady', callback, () => ({ ready: ready() })),

    modelReady: (call, callback) =>
      reply('ModelReady', callback, () => {
        const { name, version } = call.request;
        // A model that is not loaded, or that the repository does not have, is not ready: Triton
        // answers so, and tritonclient's `is_model_ready` turns an error into an exception.
        if (repository.get(name) === undefined) return { ready: false };
        modelAt(name, version);
        return { ready: ready() };
      }),

    serverMetadata: (_call, callback) =>
      reply('ServerMetadata', callback, () => ({
        name: 'sluice',
        version: PACKAGE_VERSION,
        extensions: deps.statistics === undefined ? [...EXTENSIONS] : [...EXTENSIONS, 'statistics'],
      })),

    modelMetadata: (call, callback) =>
      reply('ModelMetadata', callback, () => {
        const model = modelAt(call.request.name, call.request.version);
        const signature = kserveSignature(model);
        return { name: model.name, versions: [MODEL_VERSION], platform: signature.platform, inputs: [...signature.inputs], outputs: [...signature.outputs] };
      }),

    modelConfig: (call, callback) => reply('ModelConfig', callback, () => ({ config: kserveModelConfig(modelAt(call.request.name, call.request.version)) })),

    modelInfer(call: ServerUnaryCall<ReceivedPredict, PredictResponse>, callback: sendUnaryData<PredictResponse>): void {
      metrics.countRequest('ModelInfer', 'kserve');
      answerOne(call, callback, deps, 'kserve');
    },

    modelStreamInfer(call: PredictCall): void {
      metrics.countRequest('ModelStreamInfer', 'kserve');
      serveStream(call, deps, callerName(deps.authorizer, call), 'kserve');
    },

    modelStatistics: (call, callback) =>
      reply('ModelStatistics', callback, () => {
        const { name, version } = call.request;
        if (deps.statistics === undefined) throw new SluiceError('UNAVAILABLE', 'this server does not collect statistics');
        if (name !== '') modelAt(name, version);
        return { modelStats: deps.statistics.snapshot(name) };
      }),

    repositoryIndex: (call, callback) =>
      reply('RepositoryIndex', callback, async () => {
        checkRepository(call.request.repositoryName);
        const loaded = new Set(repository.list().map((m) => m.name));
        const folders = await repository.onDisk();
        const models: ModelIndex[] = [...new Set([...loaded, ...folders])].sort().map((name) =>
          loaded.has(name) ? { name, version: MODEL_VERSION, state: 'READY', reason: '' } : { name, version: '', state: 'UNAVAILABLE', reason: 'not loaded' },
        );
        return { models: call.request.ready ? models.filter((m) => m.state === 'READY') : models };
      }),

    repositoryModelLoad: (call, callback) =>
      reply('RepositoryModelLoad', callback, async () => {
        checkAccepting();
        checkRepository(call.request.repositoryName);
        refuseParameters(call.request.parameters);
        await deps.control.load(call.request.modelName);
        return {};
      }),

    repositoryModelUnload: (call, callback) =>
      reply('RepositoryModelUnload', callback, async () => {
        checkAccepting();
        checkRepository(call.request.repositoryName);
        refuseParameters(call.request.parameters);
        await deps.control.unload(call.request.modelName);
        return {};
      }),
  };
  return { definition, handlers };
}
