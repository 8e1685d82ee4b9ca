/**
 * A typed client for Sluice: the generated grpc-js stubs wrapped so that a stream is an async
 * iterable, every call takes an AbortSignal, and writes honour backpressure.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
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
  type PushFile,
  type PushModelResponse,
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

/**
 * One file of a model to push, by its name in the model folder (a plain file name): read from
 * `path` (streamed, never held whole), or given as `data`.
 */
export type PushModelFile = { readonly name: string; readonly path: string } | { readonly name: string; readonly data: Uint8Array };

/** Options of `pushModel`. */
export interface PushModelOptions extends CallOptions {
  /** Replace a model of the same name (otherwise the call fails with ALREADY_EXISTS). */
  readonly replace?: boolean;
  /** Bytes per chunk message (default 256 KiB). */
  readonly chunkBytes?: number;
  /** Called after each chunk is handed to the channel: bytes sent so far, and in all. */
  readonly onProgress?: (sent: number, total: number) => void;
}

/** Health states as `grpc.health.v1` reports them. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const MIB = 1024 * 1024;
const PUSH_CHUNK_BYTES = 256 * 1024;

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

  /**
   * Uploads a model to the server's repository (the admin role) and resolves with the loaded
   * model once it serves. Files are hashed first, then sent in chunks as fast as the server reads
   * them and no faster. Aborting the signal cancels the call, and the server removes what it
   * staged; any failure leaves the server's repository and serving version as they were.
   */
  async pushModel(name: string, files: readonly PushModelFile[], options: PushModelOptions = {}): Promise<PushModelResponse> {
    const { signal } = options;
    signal?.throwIfAborted();
    const chunkBytes = options.chunkBytes ?? PUSH_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new RangeError('options.chunkBytes must be a positive integer');
    const described: PushFile[] = [];
    try {
      for (const file of files) {
        described.push({ name: file.name, ...('data' in file ? { size: file.data.length, sha256: createHash('sha256').update(file.data).digest('hex') } : await describeFile(file.path, signal)) });
      }
    } catch (err: unknown) {
      throw signal?.aborted === true ? signal.reason : err;
    }
    signal?.throwIfAborted();
    const total = described.reduce((sum, f) => sum + f.size, 0);
    // Aborted when the call is over, so that a writer waiting for 'drain' stops.
    const over = new AbortController();
    let sent = 0;
    let onAbort = (): void => undefined;
    const response = new Promise<PushModelResponse>((resolve, reject) => {
      const call = this.#stub.pushModel(new Metadata(), { deadline: deadlineOf(options) }, (err, value) => {
        over.abort();
        if (err !== null) reject(signal?.aborted === true ? signal.reason : err);
        else resolve(value);
      });
      onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      const write = async (message: Parameters<typeof call.write>[0]): Promise<void> => {
        if (!call.write(message)) await once(call, 'drain', { signal: over.signal });
      };
      void (async () => {
        await write({ part: { $case: 'header', value: { name, files: described, replace: options.replace === true } } });
        for (const [index, file] of files.entries()) {
          for await (const data of fileChunks(file, described[index]?.size ?? 0, chunkBytes)) {
            if (over.signal.aborted) return;
            await write({ part: { $case: 'chunk', value: { file: index, data } } });
            sent += data.length;
            options.onProgress?.(sent, total);
          }
        }
        call.end();
      })().catch((err: unknown) => {
        // Once the call is over its status tells the story; before, a file that cannot be read does.
        if (over.signal.aborted) return;
        reject(err);
        call.cancel();
      });
    });
    try {
      return await response;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
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

/** Size and SHA-256 of a file, read as a stream. */
async function describeFile(path: string, signal: AbortSignal | undefined): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const data of createReadStream(path, { signal })) {
    hash.update(data as Buffer);
    size += (data as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** The file's first `size` bytes (what its header declared) in chunks of at most `chunkBytes`. */
async function* fileChunks(file: PushModelFile, size: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
  if ('data' in file) {
    for (let offset = 0; offset < file.data.length; offset += chunkBytes) yield file.data.subarray(offset, offset + chunkBytes);
    return;
  }
  if (size === 0) return;
  for await (const data of createReadStream(file.path, { highWaterMark: chunkBytes, end: size - 1 })) yield data as Buffer;
}

/** True for errors that carry a gRPC status. */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}
