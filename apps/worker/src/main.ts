import { createDb, createPool } from "@accounts/db";
import { createRedis } from "@accounts/queue";
import { createLogger, onShutdown, runHealthChecks, startProbeServer } from "@accounts/runtime";
import { loadWorkerConfig } from "./config.ts";

const config = loadWorkerConfig();
const log = createLogger({ service: "worker", level: config.LOG_LEVEL });
const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: "accounts-worker" });
const db = createDb(pool);
const redis = createRedis({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES }, "worker");
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
        await redis.ping();
        return undefined;
      },
    }),
});
ready = true;
log.info({ port: config.WORKER_METRICS_PORT }, "worker started");

onShutdown(log, async () => {
  ready = false;
  probes.close();
  redis.disconnect();
  await db.destroy();
});
