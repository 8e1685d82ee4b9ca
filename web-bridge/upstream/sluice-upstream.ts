/**
 * The bridge's side of gRPC: one channel to the Sluice server, the calls the bridge relays, and a
 * `close()` that cancels every call still open.
 */
import {
  type ClientDuplexStream,
  type ClientReadableStream,
  type connectivityState,
  Metadata,
} from '@grpc/grpc-js';
import {
  type ConnectionSecurity,
  InferenceClient,
  type PushModelFile,
  type PushModelOptions,
  SluiceClient,
  channelCredentials,
  securityClientOptions,
} from '../../client/index.js';
import {
  type GetModelResponse,
  type InferenceServiceClient,
  type ListModelsResponse,
  type ListSessionsResponse,
  type PredictRequest,
  type PredictResponse,
  type PushModelResponse,
  type WatchRequest,
  type WatchResponse,
} from '../../gen/ts/sluice/v1/inference_service.js';

/** Options of `SluiceUpstream`. */
export interface SluiceUpstreamOptions {
  /** Largest message sent or received, in bytes. */
  readonly maxMessageBytes: number;
  /** Milliseconds allowed for unary calls. */
  readonly timeoutMs: number;
  /** TLS to the server, and the bridge's own token, sent on every call (default: plaintext, no token). */
  readonly security?: ConnectionSecurity;
}

interface Cancellable {
  cancel(): void;
  once(event: 'status', listener: () => void): unknown;
}

export class SluiceUpstream {
  /** The server address. */
  readonly address: string;
  readonly #stub: InferenceServiceClient;
  readonly #timeoutMs: number;
  readonly #open = new Set<Cancellable>();
  readonly #security: ConnectionSecurity;
  /** For the rare model uploads and lookups: the client library's push, on a channel of its own. */
  #models: SluiceClient | undefined;
  #closed = false;

  constructor(address: string, options: SluiceUpstreamOptions) {
    this.address = address;
    this.#timeoutMs = options.timeoutMs;
    const security = options.security ?? {};
    this.#security = security;
    this.#stub = new InferenceClient(address, channelCredentials(security), {
      ...securityClientOptions(security),
      'grpc.max_receive_message_length': options.maxMessageBytes,
      'grpc.max_send_message_length': options.maxMessageBytes,
    });
  }

  listModels(): Promise<ListModelsResponse> {
    return new Promise((resolve, reject) => {
      this.#stub.listModels({}, new Metadata(), { deadline: this.#deadline() }, (err, value) => (err === null ? resolve(value) : reject(err)));
    });
  }

  listSessions(): Promise<ListSessionsResponse> {
    return new Promise((resolve, reject) => {
      this.#stub.listSessions({}, new Metadata(), { deadline: this.#deadline() }, (err, value) => (err === null ? resolve(value) : reject(err)));
    });
  }

  /** One model's completed configuration and the origin of each value. */
  getModel(name: string): Promise<GetModelResponse> {
    return this.#modelClient().getModel(name, { timeoutMs: this.#timeoutMs });
  }

  /** Uploads a model (`PushModel`, the admin role); no deadline, as an upload takes what it takes. */
  pushModel(name: string, files: readonly PushModelFile[], options: Pick<PushModelOptions, 'replace' | 'signal'> = {}): Promise<PushModelResponse> {
    return this.#modelClient().pushModel(name, files, options);
  }

  /** Opens a Watch; the call is cancelled by `close()` if still open. */
  watch(request: WatchRequest): ClientReadableStream<WatchResponse> {
    return this.#track(this.#stub.watch(request));
  }

  /** Opens a Predict stream; the call is cancelled by `close()` if still open. */
  predict(): ClientDuplexStream<PredictRequest, PredictResponse> {
    return this.#track(this.#stub.predict());
  }

  /** The channel's state, without starting a connection. */
  connectivity(): connectivityState {
    return this.#stub.getChannel().getConnectivityState(false);
  }

  /** Calls still open. */
  get openCalls(): number {
    return this.#open.size;
  }

  /** Cancels every open call and closes the channel. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#open) call.cancel();
    this.#open.clear();
    this.#stub.close();
    this.#models?.close();
  }

  #modelClient(): SluiceClient {
    if (this.#closed) throw new Error('the bridge is closing');
    this.#models ??= new SluiceClient(this.address, this.#security);
    return this.#models;
  }

  #track<T extends Cancellable>(call: T): T {
    if (this.#closed) {
      call.cancel();
      return call;
    }
    this.#open.add(call);
    // grpc-js emits 'status' exactly once when a call ends, however it ends.
    call.once('status', () => this.#open.delete(call));
    return call;
  }

  #deadline(): Date {
    return new Date(Date.now() + this.#timeoutMs);
  }
}
