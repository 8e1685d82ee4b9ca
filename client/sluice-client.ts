/**
 * A typed client for Sluice: the generated grpc-js stubs wrapped so that a stream is an async
 * iterable, every call takes an AbortSignal, and writes honour backpressure.
 */
import { once } from 'node:events';
import { type ChannelOptions, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { type ConnectionSecurity, channelCredentials, securityClientOptions } from './connection-security.js';
import { InferenceClient } from './inference-client.js';
import { HealthClient, type HealthCheckResponse, healthCheckResponse_ServingStatusToJSON } from '../gen/ts/grpc/health/v1/health.js';
import {
  type GetModelResponse,
  type InferenceServiceClient,
  type ListModelsResponse,
  type ListSessionsResponse,
  type LoadModelResponse,
  type PredictRequest,
  type PredictResponse,
  StreamOptions,
  type WatchResponse,
} from '../gen/ts/sluice/v1/inference_service.js';

/** Options of `SluiceClient`: TLS and token (`ConnectionSecurity`), and the channel's limits. */
export interface SluiceClientOptions extends ConnectionSecurity {
  /** Largest message sent or received, in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** Extra grpc-js channel options. */
  readonly channelOptions?: ChannelOptions;
}

/** Options of a call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Milliseconds before the call fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
}

/** Options of `predictStream`. */
export interface PredictStreamOptions {
  readonly signal?: AbortSignal;
  /** Sent with the first request (order, window). */
  readonly streamOptions?: Partial<StreamOptions>;
}

/** Health states as `grpc.health.v1` reports them. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const MIB = 1024 * 1024;

function deadlineOf(options: CallOptions): Date | undefined {
  return options.timeoutMs === undefined ? undefined : new Date(Date.now() + options.timeoutMs);
}

export class SluiceClient {
  /** The server address, `host:port`. */
  readonly address: string;
  readonly #stub: InferenceServiceClient;
  readonly #health: HealthClient;

  constructor(address: string, options: SluiceClientOptions = {}) {
    this.address = address;
    const max = options.maxMessageBytes ?? 64 * MIB;
    const channel = channelCredentials(options);
    const security = securityClientOptions(options);
    this.#stub = new InferenceClient(address, channel, {
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      ...security,
      ...options.channelOptions,
    });
    this.#health = new HealthClient(address, channel, { 'grpc.max_receive_message_length': max, ...security });
  }

  /** Resolves once the channel is connected; rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stub.waitForReady(new Date(Date.now() + timeoutMs), (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Streams `requests` over one `Predict` call and yields every response. Requests are written
   * as fast as the server reads them and no faster. Breaking out of the loop or aborting the
   * signal cancels the call.
   */
  async *predictStream(requests: AsyncIterable<PredictRequest> | Iterable<PredictRequest>, options: PredictStreamOptions = {}): AsyncGenerator<PredictResponse> {
    const { signal } = options;
    signal?.throwIfAborted();
    const call = this.#stub.predict();
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted when the call is over, so that a writer waiting for 'drain' or for the source stops.
    const over = new AbortController();
    let writeError: unknown;
    const writer = (async () => {
      let first = true;
      try {
        for await (const request of requests) {
          if (over.signal.aborted) return;
          const message = first && options.streamOptions !== undefined ? { ...request, streamOptions: StreamOptions.fromPartial(options.streamOptions) } : request;
          first = false;
          if (!call.write(message)) await once(call, 'drain', { signal: over.signal });
        }
        if (!over.signal.aborted) call.end();
      } catch (err: unknown) {
        // When the call itself failed or ended, the reader reports it; only source errors matter here.
        if (!over.signal.aborted && !isServiceError(err)) {
          writeError = err;
          call.cancel();
        }
      }
    })();
    try {
      for await (const response of call as AsyncIterable<PredictResponse>) yield response;
      await writer;
      if (writeError !== undefined) throw writeError;
    } catch (err: unknown) {
      if (writeError !== undefined) throw writeError;
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    } finally {
      over.abort();
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Predicts one item. An item error rejects with the item's gRPC status. */
  predictOne(request: Partial<PredictRequest> & Pick<PredictRequest, 'model'>, options: CallOptions = {}): Promise<PredictResponse> {
    const full: PredictRequest = { id: '', inputs: [], image: undefined, returnTensors: false, streamOptions: undefined, ...request };
    return this.#unary((callback) => this.#stub.predictOne(full, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  listModels(options: CallOptions = {}): Promise<ListModelsResponse> {
    return this.#unary((callback) => this.#stub.listModels({}, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  getModel(name: string, options: CallOptions = {}): Promise<GetModelResponse> {
    return this.#unary((callback) => this.#stub.getModel({ name }, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  /** Loads a model from the server's repository, or reloads it. */
  loadModel(name: string, options: CallOptions = {}): Promise<LoadModelResponse> {
    return this.#unary((callback) => this.#stub.loadModel({ name }, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  /** Stops serving a model. */
  async unloadModel(name: string, options: CallOptions = {}): Promise<void> {
    await this.#unary((callback) => this.#stub.unloadModel({ name }, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  /** Streams published for watching. */
  listSessions(options: CallOptions = {}): Promise<ListSessionsResponse> {
    return this.#unary((callback) => this.#stub.listSessions({}, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
  }

  /**
   * Follows a published stream: yields each answered item with its display JPEG until the stream
   * ends. Lossy: when this reader is slow the server skips events rather than wait.
   */
  async *watch(session: string, options: { readonly signal?: AbortSignal; readonly maxWidth?: number } = {}): AsyncGenerator<WatchResponse> {
    const { signal } = options;
    signal?.throwIfAborted();
    const call = this.#stub.watch({ session, maxWidth: options.maxWidth ?? 0 });
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of call as AsyncIterable<WatchResponse>) yield event;
    } catch (err: unknown) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Health of the server (`service` ''), the inference API or one model. */
  async health(service = '', options: CallOptions = {}): Promise<ServingStatus> {
    try {
      const response = await this.#unary<HealthCheckResponse>((callback) => this.#health.check({ service }, new Metadata(), { deadline: deadlineOf(options) }, callback), options);
      return healthCheckResponse_ServingStatusToJSON(response.status) as ServingStatus;
    } catch (err: unknown) {
      if (isServiceError(err) && err.code === status.NOT_FOUND) return 'SERVICE_UNKNOWN';
      throw err;
    }
  }

  /** Closes the channels; calls in progress fail. */
  close(): void {
    this.#stub.close();
    this.#health.close();
  }

  #unary<T>(start: (callback: (err: ServiceError | null, value?: T) => void) => { cancel(): void }, options: CallOptions): Promise<T> {
    const { signal } = options;
    signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = start((err, value) => {
        signal?.removeEventListener('abort', onAbort);
        if (err !== null) reject(signal?.aborted === true ? signal.reason : err);
        else resolve(value as T);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** True for errors that carry a gRPC status. */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}
