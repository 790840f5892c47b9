import { CurrencyCache, createDb, createPool, type Db } from "@accounts/db";
import {
  type Catalog,
  catalogOf,
  createRedis,
  type OperationStateStore,
  operationStatesOf,
  type RedisConfig,
  redisConfigOf,
} from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  dependencyHealth,
  type HealthReport,
  type Logger,
  RecentLatency,
} from "@accounts/runtime";
import { callbackUrlPolicy } from "@accounts/webhooks";
import type { WorkerConfig } from "./config.ts";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics.ts";
import { type PartitionConsumers, startPartitionConsumers } from "./partitions/consumers.ts";
import { startPendingSweeper } from "./partitions/pendingSweeper.ts";
import { startWebhookDelivery } from "./webhooks/deliveryWorker.ts";
import { dispatchNotifications } from "./webhooks/dispatchNotifications.ts";
import { startOutboxSweeper } from "./webhooks/outboxSweeper.ts";
import { openWebhookQueue, type WebhookQueue } from "./webhooks/webhookQueue.ts";

/** What a worker process runs on, built from its configuration. */
export interface WorkerServices {
  readonly log: Logger;
  readonly db: Db;
  readonly states: OperationStateStore;
  readonly catalog: Catalog;
  readonly redis: RedisConfig;
  readonly metrics: WorkerMetrics;
  /** The producer side of the webhooks queue (post-commit dispatch and the outbox sweeper). */
  readonly webhooks: WebhookQueue;
  /** The deep checks of `/health`. */
  health(): Promise<HealthReport>;
  /** Closes every connection and the pool (after the processing stopped). */
  close(): Promise<void>;
}

/** The running parts of a worker: partition consumers, outbox sweeper, webhook delivery. */
export interface Processing {
  readonly consumers: PartitionConsumers;
  /** Stops taking jobs, finishes (or hands back) the active ones. */
  close(): Promise<void>;
}

/**
 * Builds the worker's services from `config`: the pool, the fail-fast Redis connection of the
 * post-commit steps, the webhooks queue, the metrics and the health checks.
 *
 * @example
 * const services = createServices(loadWorkerConfig());
 * const processing = await startProcessing(config, services);
 * // on shutdown: await processing.close(); await services.close();
 */
export function createServices(
  config: Readonly<WorkerConfig>,
  options: { log?: Logger } = {},
): WorkerServices {
  const log = options.log ?? createLogger({ service: "worker", level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: "accounts-worker",
  });
  const db = createDb(pool);
  const redis = redisConfigOf(config);
  const catalog = catalogOf(config);
  // Commands of the post-commit steps (clearing records, publishing): fail fast, never queue offline.
  const commands = createRedis(redis, "commands", log);
  const appliedLatency = new RecentLatency();
  const metrics = createWorkerMetrics(createMetricsRegistry("worker"), { pool, appliedLatency });
  const webhooks = openWebhookQueue(redis, catalog, log);
  return {
    log,
    db,
    states: operationStatesOf(config, commands),
    catalog,
    redis,
    metrics,
    webhooks,
    health: dependencyHealth({
      database: pool,
      redis: commands,
      performance: { latencies: { applied: appliedLatency }, thresholdMs: config.HEALTH_P95_THRESHOLD_MS },
    }),
    async close() {
      await webhooks.close();
      commands.disconnect();
      await db.destroy();
    },
  };
}

/**
 * Starts what a worker does: one consumer per partition queue, the outbox sweeper and the webhook
 * deliverer.
 */
export async function startProcessing(
  config: Readonly<WorkerConfig>,
  services: WorkerServices,
): Promise<Processing> {
  const { db, log, metrics, catalog } = services;
  const notify = { db, queue: services.webhooks.queue, log };
  const consumers = await startPartitionConsumers({
    db,
    // Reload at once on every unknown code, without the cache's minimum interval: a job only carries
    // codes the API found registered, so an unknown one was registered since the last load, and
    // judging it on the stale table would reject a valid operation as `unknown_currency` for good.
    currencies: new CurrencyCache(db, 0),
    states: services.states,
    log,
    hooks: [(outcomes) => dispatchNotifications(notify, outcomes), metrics.commitHook],
    onTransientFailure: () => metrics.transientFailure(),
    onOperationsFailed: (operations) => metrics.operationsFailed(operations),
    jobs: metrics.jobs,
    failedTtlSeconds: config.FAILED_OPERATION_TTL_SECONDS,
    nonTransientRetries: config.NON_TRANSIENT_RETRIES,
    partitionsAhead: { daysAhead: config.PARTITION_DAYS_AHEAD, monthsAhead: config.PARTITION_MONTHS_AHEAD },
    catalog,
    redis: services.redis,
    lockDurationMs: config.PARTITION_LOCK_MS,
    absorbLimits: { maxJobs: config.ABSORB_MAX_JOBS, maxOperations: config.ABSORB_MAX_OPERATIONS },
  });
  const sweeper = startOutboxSweeper(notify, {
    intervalMs: config.OUTBOX_SWEEP_SECONDS * 1000,
    staleAfterMs: config.OUTBOX_STALE_SECONDS * 1000,
  });
  const pendingSweeper = startPendingSweeper(
    { db, states: services.states, catalog, log },
    {
      intervalMs: config.PENDING_SWEEP_SECONDS * 1000,
      staleAfterMs: config.PENDING_STALE_SECONDS * 1000,
      failedTtlSeconds: config.FAILED_OPERATION_TTL_SECONDS,
    },
  );
  const delivery = startWebhookDelivery({
    db,
    redis: services.redis,
    catalog,
    log,
    policy: callbackUrlPolicy({ allowHttp: config.WEBHOOK_ALLOW_HTTP, allowlist: config.WEBHOOK_ALLOWLIST }),
    concurrency: config.WEBHOOK_CONCURRENCY,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    onAttempt: (outcome) => metrics.webhookAttempt(outcome),
  });
  return {
    consumers,
    async close() {
      await consumers.close();
      await sweeper.close();
      await pendingSweeper.close();
      await delivery.close();
    },
  };
}
