import { CurrencyCache, createDb, createPool } from "@accounts/db";
import { createRedis } from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  metricsEndpoint,
  onShutdown,
  performanceCheck,
  RecentLatency,
  runHealthChecks,
  startProbeServer,
} from "@accounts/runtime";
import { callbackUrlPolicy } from "@accounts/webhooks";
import { loadWorkerConfig } from "./config.ts";
import { createWorkerMetrics } from "./metrics.ts";
import { startPartitionConsumers } from "./partitions/consumers.ts";
import { startWebhookDelivery } from "./webhooks/deliveryWorker.ts";
import { dispatchNotifications } from "./webhooks/dispatchNotifications.ts";
import { startOutboxSweeper } from "./webhooks/outboxSweeper.ts";
import { openWebhookQueue } from "./webhooks/webhookQueue.ts";

const config = loadWorkerConfig();
const log = createLogger({ service: "worker", level: config.LOG_LEVEL });
const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: "accounts-worker" });
const db = createDb(pool);
const redisConfig = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
// Commands of the post-commit steps (clearing records, publishing): fail fast, never queue offline.
const commands = createRedis(redisConfig, "commands", log);
const catalog = { namespace: config.QUEUE_NAMESPACE, partitions: config.PARTITIONS };
const states = {
  redis: commands,
  namespace: config.QUEUE_NAMESPACE,
  ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
};
let ready = false;
const appliedLatency = new RecentLatency();
const metrics = createWorkerMetrics(createMetricsRegistry("worker"), { pool, appliedLatency });

const probes = await startProbeServer({
  port: config.WORKER_METRICS_PORT,
  ready: () => ready,
  health: () =>
    runHealthChecks({
      database: async () => {
        await pool.query("SELECT 1");
        return undefined;
      },
      redis: async () => {
        await commands.ping();
        return undefined;
      },
      performance: performanceCheck({
        latencies: { applied: appliedLatency },
        thresholdMs: config.HEALTH_P95_THRESHOLD_MS,
      }),
    }),
  metrics: metricsEndpoint(metrics.registry),
});

const webhooks = openWebhookQueue(redisConfig, catalog, log);
const notify = { db, queue: webhooks.queue, log };
const consumers = await startPartitionConsumers({
  db,
  // Reload at once on every unknown code, without the cache's minimum interval: a job only carries codes
  // the API found registered, so an unknown one was registered since the last load, and judging it
  // on the stale table would reject a valid operation as `unknown_currency` for good.
  currencies: new CurrencyCache(db, 0),
  states,
  log,
  hooks: [(outcomes) => dispatchNotifications(notify, outcomes), metrics.commitHook],
  onTransientFailure: () => metrics.transientFailure(),
  onOperationsFailed: (operations) => metrics.operationsFailed(operations),
  jobs: metrics.jobs,
  failedTtlSeconds: config.FAILED_OPERATION_TTL_SECONDS,
  nonTransientRetries: config.NON_TRANSIENT_RETRIES,
  catalog,
  redis: redisConfig,
  lockDurationMs: config.PARTITION_LOCK_MS,
  absorbLimits: { maxJobs: config.ABSORB_MAX_JOBS, maxOperations: config.ABSORB_MAX_OPERATIONS },
});
const sweeper = startOutboxSweeper(notify, {
  intervalMs: config.OUTBOX_SWEEP_SECONDS * 1000,
  staleAfterMs: config.OUTBOX_STALE_SECONDS * 1000,
});
const delivery = startWebhookDelivery({
  db,
  redis: redisConfig,
  catalog,
  log,
  policy: callbackUrlPolicy({ allowHttp: config.WEBHOOK_ALLOW_HTTP, allowlist: config.WEBHOOK_ALLOWLIST }),
  concurrency: config.WEBHOOK_CONCURRENCY,
  timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  onAttempt: (outcome) => metrics.webhookAttempt(outcome),
});
ready = true;
log.info({ partitions: config.PARTITIONS, port: config.WORKER_METRICS_PORT }, "worker started");

onShutdown(log, async () => {
  ready = false;
  await consumers.close();
  await sweeper.close();
  await delivery.close();
  await webhooks.close();
  probes.close();
  commands.disconnect();
  await db.destroy();
});
