import { resolve } from "node:path";
import { createDb, createPool } from "@accounts/db";
import { createRedis } from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  metricsEndpoint,
  observeDatabasePool,
  onShutdown,
  runHealthChecks,
  startProbeServer,
} from "@accounts/runtime";
import { loadSchedulerConfig } from "./config.ts";
import { startScheduler } from "./startScheduler.ts";

const config = loadSchedulerConfig();
const log = createLogger({ service: "scheduler", level: config.LOG_LEVEL });
const pool = createPool(config.DATABASE_URL, {
  max: config.DB_POOL_MAX,
  applicationName: "accounts-scheduler",
});
const db = createDb(pool);
// Health pings only: fails fast while Redis is away instead of queueing the ping.
const redis = createRedis(
  { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES },
  "commands",
  log,
);
const registry = createMetricsRegistry("scheduler");
observeDatabasePool(registry, pool);
let ready = false;

const probes = await startProbeServer({
  port: config.SCHEDULER_METRICS_PORT,
  ready: () => ready,
  health: () =>
    runHealthChecks({
      database: async () => {
        await pool.query("SELECT 1");
        return undefined;
      },
      redis: async () => {
        await redis.ping();
        return undefined;
      },
    }),
  metrics: metricsEndpoint(registry),
});
const scheduler = await startScheduler({ config, db, log, registry });
ready = true;
log.info(
  {
    port: config.SCHEDULER_METRICS_PORT,
    backupDir: resolve(config.BACKUP_DIR),
    logDir: config.LOG_DIR ?? null,
  },
  "scheduler started",
);

onShutdown(log, async () => {
  ready = false;
  // Waits for the task in progress; one killed meanwhile is resumed by another replica (stalled job).
  await scheduler.close();
  probes.close();
  redis.disconnect();
  await db.destroy();
});
