/**
 * A running Sluice server: the model repository, the worker pool, the scheduler and the gRPC
 * server, started in that order and stopped in reverse.
 */
import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { ServerConfig } from './config/server-config.js';
import { bindServer, createGrpcServer } from './grpc/grpc-server.js';
import { createInferenceService } from './grpc/inference-service.js';
import { createLogger } from './logger.js';
import { type MetricsEndpoint, startMetricsEndpoint } from './metrics/metrics-endpoint.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { INFERENCE_SERVICE_NAME, ModelControl, modelHealthName } from './control/model-control.js';
import { WorkerPool } from './pool/worker-pool.js';
import { ModelRepository } from './repository/model-repository.js';
import { ModelRouter } from './pipeline/model-router.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { StreamSession } from './stream/stream-session.js';
import { SessionRegistry } from './watch/session-registry.js';

/** Options of `SluiceServer.start`. */
export interface SluiceServerOptions {
  /** Defaults to a logger at `config.logLevel`. */
  readonly logger?: Logger;
}



export class SluiceServer {
  readonly config: ServerConfig;
  readonly repository: ModelRepository;
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
  #closing: Promise<void> | undefined;

  private constructor(parts: {
    config: ServerConfig;
    repository: ModelRepository;
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
  }) {
    this.#stopAccepting = parts.stopAccepting;
    this.config = parts.config;
    this.repository = parts.repository;
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
    const repository = await ModelRepository.load(config.modelsDir);
    const models = repository.list();
    logger.info({ models: models.map((m) => m.name), dir: config.modelsDir }, 'model repository loaded');
    const poolOptions = { workers: config.workers, intraOpThreads: config.intraOpThreads, maxImagePixels: config.maxImagePixels, logger };
    const pool = await WorkerPool.start({ ...poolOptions, models: repository.onnxSpecs() });
    const scheduler = new Scheduler(repository, pool, { maxQueueSize: config.maxQueueSize, logger });
    const router = new ModelRouter(repository, scheduler);
    const health = new HealthImplementation({ '': 'SERVING', [INFERENCE_SERVICE_NAME]: 'SERVING' });
    for (const model of models) health.setStatus(modelHealthName(model.name), 'SERVING');
    const control = new ModelControl({ repository, scheduler, router, health, pool, poolOptions, logger });
    const sessions = new Set<StreamSession>();
    const published = new SessionRegistry();
    const metrics = new ServerMetrics({
      queueDepth: () => scheduler.queueDepths(),
      openStreams: () => sessions.size,
      inFlightItems: () => [...sessions].reduce((sum, s) => sum + s.inFlight, 0),
      workerUtilization: () => control.pool.utilization,
    });
    let accepting = true;
    const service = createInferenceService({
      repository,
      router,
      published,
      metrics,
      control,
      streamWindow: config.streamWindow,
      maxStreamWindow: config.maxStreamWindow,
      logger: logger.child({ component: 'grpc' }),
      sessions,
      accepting: () => accepting,
    });
    const grpc = createGrpcServer({ service, health, maxMessageBytes: config.maxMessageBytes });
    let port: number;
    let metricsEndpoint: MetricsEndpoint | undefined;
    try {
      port = await bindServer(grpc, config.host, config.port);
      if (config.metricsPort >= 0) metricsEndpoint = await startMetricsEndpoint(metrics.registry, config.host, config.metricsPort);
    } catch (err: unknown) {
      grpc.forceShutdown();
      await pool.destroy();
      throw err;
    }
    if (config.pollIntervalMs > 0) await control.startPolling(config.pollIntervalMs);
    const server = new SluiceServer({ config, repository, logger, control, scheduler, router, published, metricsEndpoint, grpc, health, sessions, port, stopAccepting: () => (accepting = false) });
    logger.info({ host: config.host, port, metricsPort: metricsEndpoint?.port, workers: config.workers, threads: config.intraOpThreads }, 'sluice is serving');
    return server;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
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

  /**
   * Graceful stop: refuse new calls and items, answer every item already accepted, then stop the
   * workers. After `drainTimeoutMs` what is left is cancelled. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#stopAccepting();
    this.#health.setStatus('', 'NOT_SERVING');
    this.#health.setStatus(INFERENCE_SERVICE_NAME, 'NOT_SERVING');
    for (const model of this.repository.list()) this.#health.setStatus(modelHealthName(model.name), 'NOT_SERVING');
    this.#logger.info({ streams: this.#sessions.size, queued: this.#scheduler.queued }, 'draining');
    for (const session of this.#sessions) session.drain();
    const drained = await withTimeout(
      Promise.all([this.#router.whenIdle(), ...[...this.#sessions].map((s) => s.closed)]).then(() => undefined),
      this.config.drainTimeoutMs,
    );
    if (!drained) {
      this.#logger.warn({ streams: this.#sessions.size, queued: this.#scheduler.queued }, 'drain timed out; cancelling what is left');
      for (const session of this.#sessions) session.cancel();
    }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.#grpc.forceShutdown(), drained ? 5_000 : 0).unref();
      this.#grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.#scheduler.close();
    this.#published.close();
    await this.#metricsEndpoint?.close();
    await this.#control.close();
    await this.#control.pool.close();
    this.#logger.info('stopped');
  }

  /** Immediate stop: cancels every call and stops the workers. */
  async destroy(): Promise<void> {
    this.#stopAccepting();
    for (const session of this.#sessions) session.cancel();
    this.#published.close();
    await this.#metricsEndpoint?.close();
    this.#grpc.forceShutdown();
    this.#scheduler.close();
    await this.#control.close();
    await this.#control.pool.destroy();
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
