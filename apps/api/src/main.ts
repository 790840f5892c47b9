import { createDb, createPool } from "@accounts/db";
import { createRedis } from "@accounts/queue";
import { createLogger, onShutdown, runHealthChecks } from "@accounts/runtime";
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";

const config = loadApiConfig();
const log = createLogger({ service: "api", level: config.LOG_LEVEL });
const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: "accounts-api" });
const db = createDb(pool);
const redis = createRedis({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES }, "commands");
let ready = false;

const app = createApp({
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

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  ready = true;
  log.info({ port: info.port }, "api listening");
});

onShutdown(log, async () => {
  // Turn /ready to 503 first so the load balancer stops sending, then drain and close.
  ready = false;
  await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_GRACE_SECONDS * 1000));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis.disconnect();
  await db.destroy();
});
