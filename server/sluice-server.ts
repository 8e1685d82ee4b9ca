/**
 * A running Sluice server: the model repository, the worker pool, the scheduler and the gRPC
 * server, started in that order and stopped in reverse.
 */
import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ByteBudget } from './admission/byte-budget.js';
import { StreamLimits } from './admission/stream-limits.js';
import { Authorizer } from './auth/authorizer.js';
import { createAuthInterceptor } from './auth/auth-interceptor.js';
import { warnAboutExposure } from './auth/warn-about-exposure.js';
import type { ServerConfig } from './config/server-config.js';
import { readServerTls } from './config/server-tls.js';
import { SluiceError } from './errors.js';
import { bindServer, createGrpcServer, serverCredentials, shutdownServer } from './grpc/grpc-server.js';
import { createInferenceService } from './grpc/inference-service.js';
import { Ingestion } from './ingest/ingestion.js';
import { createKserveService } from './kserve/kserve-service.js';
import { createLogger } from './logger.js';
import { type MetricsEndpoint, startMetricsEndpoint } from './metrics/metrics-endpoint.js';
import type { ModelStatisticsCollector } from './metrics/model-statistics.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { INFERENCE_SERVICE_NAME, modelHealthName } from './control/inference-service-name.js';
import { ModelControl } from './control/model-control.js';
import { ModelUpload } from './control/model-upload.js';
import { WorkerPool } from './pool/worker-pool.js';
import { modelFileOverrides } from './config/model-file-overrides.js';
import { ModelRepository } from './repository/model-repository.js';
import { ModelRouter } from './pipeline/model-router.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { StreamSession } from './stream/stream-session.js';
import { SessionRegistry } from './watch/session-registry.js';
import { withTimeout } from './with-timeout.js';

/** Options of `SluiceServer.start`. */
export interface SluiceServerOptions {
  /** Defaults to a logger at `config.logLevel`. */
  readonly logger?: Logger;
}

/**
 * How a stop ended: `drained` when every accepted item was answered in time; `forced` when the
 * drain deadline passed (or `destroy` was called) and what was left was answered UNAVAILABLE.
 */
export type StopOutcome = 'drained' | 'forced';

export class SluiceServer {
  readonly config: ServerConfig;
  readonly repository: ModelRepository;
  /** Per-model statistics (the Open Inference Protocol's `ModelStatistics`). */
  readonly statistics: ModelStatisticsCollector;
  readonly #logger: Logger;
  readonly #control: ModelControl;
  readonly #scheduler: Scheduler;
  readonly #router: ModelRouter;
  readonly #published: SessionRegistry;
  readonly #metricsEndpoint: MetricsEndpoint | undefined;
  readonly #grpc: Server;
  readonly #health: HealthImplementation;
  readonly #sessions: Set<StreamSession>;
  readonly #port: number;
  readonly #stopAccepting: () => void;
  readonly #budget: ByteBudget;
  readonly #authorizer: Authorizer;
  readonly #ingestion: Ingestion | undefined;
  #closing: Promise<StopOutcome> | undefined;
  #forced = false;

  private constructor(parts: {
    config: ServerConfig;
    repository: ModelRepository;
    statistics: ModelStatisticsCollector;
    logger: Logger;
    control: ModelControl;
    scheduler: Scheduler;
    router: ModelRouter;
    published: SessionRegistry;
    metricsEndpoint: MetricsEndpoint | undefined;
    grpc: Server;
    health: HealthImplementation;
    sessions: Set<StreamSession>;
    port: number;
    stopAccepting: () => void;
    budget: ByteBudget;
    authorizer: Authorizer;
    ingestion: Ingestion | undefined;
  }) {
    this.#ingestion = parts.ingestion;
    this.#authorizer = parts.authorizer;
    this.#budget = parts.budget;
    this.#stopAccepting = parts.stopAccepting;
    this.config = parts.config;
    this.repository = parts.repository;
    this.statistics = parts.statistics;
    this.#logger = parts.logger;
    this.#control = parts.control;
    this.#scheduler = parts.scheduler;
    this.#router = parts.router;
    this.#published = parts.published;
    this.#metricsEndpoint = parts.metricsEndpoint;
    this.#grpc = parts.grpc;
    this.#health = parts.health;
    this.#sessions = parts.sessions;
    this.#port = parts.port;
  }

  /** Loads the models, starts the workers and listens. */
  static async start(config: ServerConfig, options: SluiceServerOptions = {}): Promise<SluiceServer> {
    const logger = options.logger ?? createLogger({ level: config.logLevel });
    // Credentials are checked before anything loads: a bad file fails the start at once.
    const tls = await readServerTls(config);
    const authorizer = await Authorizer.create({ tokenFile: config.tokenFile, logger });
    warnAboutExposure(config, tls !== undefined, authorizer.requiresTokens, logger);
    const repository = await ModelRepository.load(config.modelsDir === '' ? undefined : config.modelsDir, {
      files: config.modelFiles,
      overrides: modelFileOverrides(config),
    });
    const models = repository.list();
    logger.info({ models: models.map((m) => m.name), dir: config.modelsDir, files: config.modelFiles.map((f) => f.path) }, 'model repository loaded');
    for (const model of models) {
      for (const note of model.notes) logger.warn({ model: model.name }, `model ${model.name} ${note}`);
    }
    const poolOptions = { workers: config.workers, intraOpThreads: config.intraOpThreads, maxImagePixels: config.maxImagePixels, runTimeoutMs: config.runTimeoutMs, logger };
    const pool = await WorkerPool.start({ ...poolOptions, models: repository.onnxSpecs() });
    let metrics: ServerMetrics | undefined;
    const scheduler = new Scheduler(repository, pool, { maxQueueSize: config.maxQueueSize, logger, onRun: (run) => metrics?.recordRun(run) });
    const router = new ModelRouter(repository, scheduler);
    const health = new HealthImplementation({ '': 'SERVING', [INFERENCE_SERVICE_NAME]: 'SERVING' });
    for (const model of models) health.setStatus(modelHealthName(model.name), 'SERVING');
    const control = new ModelControl({ repository, scheduler, router, health, pool, poolOptions, logger });
    const sessions = new Set<StreamSession>();
    const published = new SessionRegistry();
    const budget = new ByteBudget(config.maxInflightBytes);
    const streamLimits = new StreamLimits({ maxStreams: config.maxStreams, maxStreamsPerConnection: config.maxStreamsPerConnection });
    metrics = new ServerMetrics({
      queueDepth: () => scheduler.queueDepths(),
      openStreams: () => sessions.size,
      inFlightItems: () => [...sessions].reduce((sum, s) => sum + s.inFlight, 0),
      inFlightBytes: () => budget.used,
      workerUtilization: () => control.pool.utilization,
    }, repository);
    let accepting = true;
    // Both protocols' handlers serve from the same parts: one scheduler, one budget, one set of limits.
    const handlerDeps = {
      repository,
      router,
      published,
      metrics,
      control,
      uploads: new ModelUpload({ repository, control, maxModelBytes: config.maxModelBytes, logger }),
      budget,
      maxStreamBytes: config.maxStreamBytes,
      streamLimits,
      streamWindow: config.streamWindow,
      maxStreamWindow: config.maxStreamWindow,
      inputLimits: { maxImagePixels: config.maxImagePixels },
      logger: logger.child({ component: 'grpc' }),
      authorizer,
      sessions,
      accepting: () => accepting,
    };
    const service = createInferenceService(handlerDeps);
    const kserve = createKserveService({ ...handlerDeps, statistics: metrics.statistics });
    const interceptors = [createAuthInterceptor(authorizer, logger.child({ component: 'auth' }))];
    const grpc = createGrpcServer({ service, kserve, health, maxMessageBytes: config.maxMessageBytes, interceptors });
    let port: number;
    let metricsEndpoint: MetricsEndpoint | undefined;
    let ingestion: Ingestion | undefined;
    try {
      port = await bindServer(grpc, config.host, config.port, serverCredentials(tls));
      if (config.metricsPort >= 0) {
        metricsEndpoint = await startMetricsEndpoint(metrics.registry, config.host, config.metricsPort, config.metricsTls ? tls : undefined);
      }
      // The bindings take the unary path, from the same parts as the gRPC handlers.
      ingestion = await Ingestion.start(config, { answer: handlerDeps, registry: metrics.registry, published, health, logger });
    } catch (err: unknown) {
      grpc.forceShutdown();
      await metricsEndpoint?.close();
      await pool.destroy();
      throw err;
    }
    if (config.pollIntervalMs > 0) await control.startPolling(config.pollIntervalMs);
    const server = new SluiceServer({ config, repository, statistics: metrics.statistics, logger, control, scheduler, router, published, metricsEndpoint, grpc, health, sessions, port, stopAccepting: () => (accepting = false), budget, authorizer, ingestion });
    logger.info(
      {
        host: config.host,
        port,
        tls: tls === undefined ? 'off' : tls.clientCa === undefined ? 'on' : 'mutual',
        tokens: authorizer.requiresTokens,
        metricsPort: metricsEndpoint?.port,
        bindings: config.bindings.map((b) => b.name),
        workers: config.workers,
        threads: config.intraOpThreads,
      },
      'sluice is serving',
    );
    return server;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /**
   * Rereads the token file (what `sluice serve` does on SIGHUP). An invalid file leaves the tokens
   * in force and rejects with an INVALID_CONFIG error naming the problem.
   */
  reloadTokens(): Promise<void> {
    return this.#authorizer.reload();
  }

  /** Port of the Prometheus endpoint, or undefined when it is off. */
  get metricsPort(): number | undefined {
    return this.#metricsEndpoint?.port;
  }

  /** Open `Predict` streams. */
  get openStreams(): number {
    return this.#sessions.size;
  }

  /** Items waiting in model queues. */
  get queuedItems(): number {
    return this.#scheduler.queued;
  }

  /** Bytes of items read and not yet answered. */
  get inflightBytes(): number {
    return this.#budget.used;
  }

  /**
   * Graceful stop: refuse new calls and items, answer every item already accepted, then stop the
   * workers. After `drainTimeoutMs`, or when `destroy` is called meanwhile, what is left is
   * answered UNAVAILABLE and the outcome is `forced`. Idempotent.
   */
  close(): Promise<StopOutcome> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * Stops at once: every item still waiting or running is answered UNAVAILABLE and every call
   * ends. A run in progress in a worker is abandoned, not interrupted (stopping a thread inside
   * onnxruntime aborts the process): the workers stop when it returns. Resolves `forced`.
   */
  async destroy(): Promise<StopOutcome> {
    this.#abandon('stopped at once');
    await this.close();
    return 'forced';
  }

  async #shutdown(): Promise<StopOutcome> {
    this.#stopAccepting();
    // First, so that a pool recovering during the drain cannot turn health back to SERVING.
    this.#control.stop();
    this.#health.setStatus('', 'NOT_SERVING');
    this.#health.setStatus(INFERENCE_SERVICE_NAME, 'NOT_SERVING');
    for (const model of this.repository.list()) this.#health.setStatus(modelHealthName(model.name), 'NOT_SERVING');
    this.#logger.info({ streams: this.#sessions.size, queued: this.#scheduler.queued }, 'draining');
    for (const session of this.#sessions) session.drain();
    const drained = await withTimeout(
      // The bindings stop fetching and settle what they took: acked with its result, or nak'd.
      Promise.all([this.#ingestion?.drain(), this.#router.whenIdle(), ...[...this.#sessions].map((s) => s.closed)]).then(() => undefined),
      this.config.drainTimeoutMs,
    );
    if (!drained) this.#abandon('drain timed out');
    // A forced stop gives calls a moment to get their status out, then closes every connection.
    await shutdownServer(this.#grpc, this.#forced ? 1_000 : 5_000);
    await this.#ingestion?.close();
    this.#scheduler.close();
    this.#published.close();
    await this.#metricsEndpoint?.close();
    await this.#control.close();
    // Waits for runs in progress (abandoned ones included): never stop a thread inside onnxruntime.
    await this.#control.pool.close();
    this.#logger.info({ forced: this.#forced }, 'stopped');
    return this.#forced ? 'forced' : 'drained';
  }

  /** Answers everything left UNAVAILABLE and ends every call, without touching running workers. */
  #abandon(reason: string): void {
    if (this.#forced) return;
    this.#forced = true;
    this.#stopAccepting();
    this.#logger.warn({ reason, streams: this.#sessions.size, queued: this.#scheduler.queued, running: this.#scheduler.runsInProgress }, 'abandoning what is left');
    this.#scheduler.abandonAll(new SluiceError('UNAVAILABLE', `server is shutting down (${reason}); the item was not finished`));
    for (const session of this.#sessions) session.cancel();
    this.#ingestion?.abandon();
    this.#published.close();
  }
}
