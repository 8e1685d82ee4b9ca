/**
 * The `sluice.v1.InferenceService` handlers. Each one is thin: streams go to a StreamSession
 * (`serveStream`), single items straight to the scheduler (`answerOne`), model questions to the
 * repository. `Predict` and `PredictOne` read their messages with the request path's own codec
 * (`predict-codec.ts`).
 */
import {
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServiceDefinition,
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type sendUnaryData,
  Metadata,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  type GetModelRequest,
  type GetModelResponse,
  type InferenceServiceServer,
  type ListModelsRequest,
  type ListModelsResponse,
  type ListSessionsRequest,
  type ListSessionsResponse,
  type LoadModelRequest,
  type LoadModelResponse,
  type ModelSummary,
  type PushModelRequest,
  type PushModelResponse,
  type UnloadModelRequest,
  type UnloadModelResponse,
  InferenceServiceService,
  ModelState,
  type PredictResponse,
  type WatchRequest,
} from '../../gen/ts/sluice/v1/inference_service.js';
import type { ByteBudget } from '../admission/byte-budget.js';
import type { Authorizer } from '../auth/authorizer.js';
import { callerName } from '../auth/caller-name.js';
import type { StreamLimits } from '../admission/stream-limits.js';
import { SluiceError } from '../errors.js';
import { type LoadedModel, protoFieldName } from '../repository/load-model.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { ModelControl } from '../control/model-control.js';
import type { ModelUpload } from '../control/model-upload.js';
import type { ModelRouter } from '../pipeline/model-router.js';
import type { SessionRegistry } from '../watch/session-registry.js';
import { type EncodedWatchEvent, serializeWatchEvent } from '../watch/watch-codec.js';
import { type WatchCall, Watcher } from '../watch/watcher.js';
import type { PredictCall, StreamSession } from '../stream/stream-session.js';
import { answerOne } from './answer-one.js';
import { type ReceivedPredict, decodePredictRequest, encodePredictResponse } from './predict-codec.js';
import type { InputLimits } from './prepare-input.js';
import { serveStream } from './serve-stream.js';
import { toGrpcStatus } from './to-grpc-status.js';

/** What the handlers need. */
export interface InferenceServiceDeps {
  readonly repository: ModelRepository;
  readonly router: ModelRouter;
  readonly published: SessionRegistry;
  readonly metrics: ServerMetrics;
  readonly control: ModelControl;
  /** Models pushed over the network (`PushModel`). */
  readonly uploads: ModelUpload;
  /** The server's byte budget for items in flight. */
  readonly budget: ByteBudget;
  /** Bytes one stream may hold. */
  readonly maxStreamBytes: number;
  /** Streams open, in total and per connection. */
  readonly streamLimits: StreamLimits;
  readonly streamWindow: number;
  readonly maxStreamWindow: number;
  /** What one item may ask of a worker (`--max-image-pixels`). */
  readonly inputLimits: InputLimits;
  readonly logger: Logger;
  /** Who the caller is (the interceptor has already checked that it may call). */
  readonly authorizer: Authorizer;
  /** Open streams, so that a shutdown can drain them. */
  readonly sessions: Set<StreamSession>;
  /** False once the server has started shutting down. */
  readonly accepting: () => boolean;
}

/** The handlers, with `Predict` and `PredictOne` taking messages as the request path's codec reads them. */
export type InferenceServiceHandlers = Omit<InferenceServiceServer, 'predict' | 'predictOne' | 'watch'> & {
  predict: handleBidiStreamingCall<ReceivedPredict, PredictResponse>;
  predictOne: handleUnaryCall<ReceivedPredict, PredictResponse>;
  watch: handleServerStreamingCall<WatchRequest, EncodedWatchEvent>;
};

/** The service definition the server registers: the generated one, with the request path's codec. */
export const inferenceServiceDefinition: ServiceDefinition = {
  ...InferenceServiceService,
  predict: { ...InferenceServiceService.predict, requestDeserialize: decodePredictRequest, responseSerialize: encodePredictResponse },
  predictOne: { ...InferenceServiceService.predictOne, requestDeserialize: decodePredictRequest, responseSerialize: encodePredictResponse },
  watch: { ...InferenceServiceService.watch, responseSerialize: serializeWatchEvent },
};

function summary(m: LoadedModel): ModelSummary {
  return {
    name: m.name,
    description: m.config.description,
    state: ModelState.MODEL_STATE_READY,
    acceptsImages: m.imageInput !== undefined,
    postprocessor: m.pipeline !== undefined ? 'ocr_pipeline' : protoFieldName(m.config.postprocessor?.kind?.$case ?? ''),
    maxBatchSize: m.config.maxBatchSize,
  };
}

/** Builds the service implementation over the given server parts. */
export function createInferenceService(deps: InferenceServiceDeps): InferenceServiceHandlers {
  const { repository, logger } = deps;

  /** The caller's name, for published streams' owners. */
  const callerOf = (call: { metadata: Metadata; getPeer(): string }): string => callerName(deps.authorizer, call);

  const shuttingDown = (): SluiceError => new SluiceError('UNAVAILABLE', 'server is shutting down');

  const fail = <T>(callback: sendUnaryData<T>, err: unknown): void => {
    const { code, details } = toGrpcStatus(err, logger);
    callback({ code, details, metadata: new Metadata() });
  };

  return {
    predict(call: PredictCall): void {
      deps.metrics.countRequest('Predict');
      serveStream(call, deps, callerOf(call));
    },

    predictOne(call: ServerUnaryCall<ReceivedPredict, PredictResponse>, callback: sendUnaryData<PredictResponse>): void {
      deps.metrics.countRequest('PredictOne');
      answerOne(call, callback, deps);
    },

    listModels(_call: ServerUnaryCall<ListModelsRequest, ListModelsResponse>, callback: sendUnaryData<ListModelsResponse>): void {
      callback(null, { models: repository.list().map(summary) });
    },

    loadModel(call: ServerUnaryCall<LoadModelRequest, LoadModelResponse>, callback: sendUnaryData<LoadModelResponse>): void {
      if (!deps.accepting()) return fail(callback, shuttingDown());
      return void deps.control.load(call.request.name).then(
        (model) => callback(null, { model: summary(model) }),
        (err: unknown) => fail(callback, err),
      );
    },

    unloadModel(call: ServerUnaryCall<UnloadModelRequest, UnloadModelResponse>, callback: sendUnaryData<UnloadModelResponse>): void {
      if (!deps.accepting()) return fail(callback, shuttingDown());
      return void deps.control.unload(call.request.name).then(
        () => callback(null, {}),
        (err: unknown) => fail(callback, err),
      );
    },

    pushModel(call: ServerReadableStream<PushModelRequest, PushModelResponse>, callback: sendUnaryData<PushModelResponse>): void {
      if (!deps.accepting()) return fail(callback, shuttingDown());
      const cancelled = new AbortController();
      call.once('cancelled', () => cancelled.abort());
      return void deps.uploads.receive(call, { signal: cancelled.signal, caller: callerOf(call), accepting: deps.accepting }).then(
        ({ model, bytes }) => callback(null, { model: summary(model), config: model.config, bytes }),
        (err: unknown) => fail(callback, err),
      );
    },

    listSessions(call: ServerUnaryCall<ListSessionsRequest, ListSessionsResponse>, callback: sendUnaryData<ListSessionsResponse>): void {
      callback(null, { sessions: deps.published.list(callerOf(call)).map((s) => s.info()) });
    },

    watch(call: WatchCall): void {
      deps.metrics.countRequest('Watch');
      if (!deps.accepting()) {
        call.emit('error', toGrpcStatus(shuttingDown(), logger));
        return;
      }
      let releaseSlot: (() => void) | undefined;
      try {
        // Watch calls hold a place among the server's streams like Predict calls do.
        releaseSlot = deps.streamLimits.admit(call.getPeer());
        const watcher = new Watcher(call);
        const stream = deps.published.watch(call.request.session, watcher, callerOf(call));
        call.once('cancelled', () => {
          watcher.detach();
          stream.watchers.delete(watcher);
        });
        for (const over of ['cancelled', 'finish', 'error'] as const) call.once(over, releaseSlot);
      } catch (err: unknown) {
        releaseSlot?.();
        call.emit('error', toGrpcStatus(err, logger));
      }
    },

    getModel(call: ServerUnaryCall<GetModelRequest, GetModelResponse>, callback: sendUnaryData<GetModelResponse>): void {
      try {
        const model = repository.require(call.request.name);
        return callback(null, { config: model.config, state: ModelState.MODEL_STATE_READY, sources: [...model.sources] });
      } catch (err: unknown) {
        return fail(callback, err);
      }
    },
  };
}
