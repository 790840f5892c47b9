import { CurrencyCache, createDb, createPool } from "@accounts/db";
import { createRedis } from "@accounts/queue";
import { createLogger, onShutdown, runHealthChecks, startProbeServer } from "@accounts/runtime";
import { callbackUrlPolicy } from "@accounts/webhooks";
import { loadWorkerConfig } from "./config.ts";
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
const commands = createRedis(redisConfig, "commands");
const catalog = { namespace: config.QUEUE_NAMESPACE, partitions: config.PARTITIONS };
const states = {
  redis: commands,
  namespace: config.QUEUE_NAMESPACE,
  ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
};
let ready = false;

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
    }),
});

const webhooks = openWebhookQueue(redisConfig, catalog);
const notify = { db, queue: webhooks.queue, log };
const consumers = await startPartitionConsumers({
  db,
  currencies: new CurrencyCache(db),
  states,
  log,
  hooks: [(outcomes) => dispatchNotifications(notify, outcomes)],
  failedTtlSeconds: config.FAILED_OPERATION_TTL_SECONDS,
  nonTransientRetries: config.NON_TRANSIENT_RETRIES,
  catalog,
  redis: redisConfig,
  lockDurationMs: config.PARTITION_LOCK_MS,
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
