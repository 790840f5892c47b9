import { CurrencyCache, createDb, createPool, ensureBootstrapClient } from "@accounts/db";
import type { QueuedOperation } from "@accounts/domain";
import { createRedis, type MaintenanceJob } from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  metricsEndpoint,
  onShutdown,
  performanceCheck,
  RecentLatency,
  runHealthChecks,
} from "@accounts/runtime";
import { cachingResolver, callbackUrlPolicy, checkCallbackUrl, systemResolver } from "@accounts/webhooks";
import { serve } from "@hono/node-server";
import type { Queue } from "bullmq";
import { Coalescer } from "./accept/coalescer.ts";
import { RedisMemoryGuard } from "./accept/memoryGuard.ts";
import { QueueSink } from "./accept/queueSink.ts";
import { openCatalogQueues } from "./admin/catalogQueues.ts";
import { queueDashboard } from "./admin/queueDashboard.ts";
import { createApp } from "./app.ts";
import { auditAdminActions } from "./auth/auditAdminActions.ts";
import { AuditLogWriter } from "./auth/auditLog.ts";
import { authenticate } from "./auth/authenticate.ts";
import { ClientRegistry } from "./auth/clientRegistry.ts";
import { AuthFailureLimiter, ClientRateLimiter, rateLimit } from "./auth/rateLimit.ts";
import { requireScope } from "./auth/requireScope.ts";
import { loadApiConfig } from "./config.ts";
import { createApiMetrics } from "./metrics/apiMetrics.ts";
import { countAuthFailures } from "./metrics/countAuthFailures.ts";
import { observeRequests } from "./metrics/observeRequests.ts";
import { QueueDepthSampler } from "./metrics/queueDepth.ts";
import { FinishedNotifier } from "./read/finishedNotifier.ts";
import { adminMaintenanceRoutes, enqueueOnQueue } from "./routes/admin.ts";
import { deliveriesRoute } from "./routes/deliveries.ts";

const config = loadApiConfig();
const log = createLogger({ service: "api", level: config.LOG_LEVEL });
const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: "accounts-api" });
const db = createDb(pool);
const redisConfig = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
const commands = createRedis(redisConfig, "commands", log);
const queueConnection = createRedis(redisConfig, "queue", log);
const subscriber = createRedis(redisConfig, "subscriber", log);
const catalog = { namespace: config.QUEUE_NAMESPACE, partitions: config.PARTITIONS };
const states = {
  redis: commands,
  namespace: config.QUEUE_NAMESPACE,
  ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
};
let ready = false;

if (config.BOOTSTRAP_API_KEY) await ensureBootstrapClient(db, config.BOOTSTRAP_API_KEY);
const registry = ClientRegistry.forDatabase(db, log, {
  refreshIntervalMs: config.CLIENT_REFRESH_SECONDS * 1000,
});
await registry.start();
const audit = AuditLogWriter.forDatabase(db, log);
// Every catalog queue, opened once for the queue dashboard and the queue depth metrics.
const catalogQueues = openCatalogQueues(queueConnection, catalog);
const maintenanceJobs = catalogQueues.queues.find((open) => open.kind === "maintenance")
  ?.queue as Queue<MaintenanceJob>;
const acceptLatency = new RecentLatency();
const metrics = createApiMetrics(createMetricsRegistry("api"), {
  pool,
  queues: new QueueDepthSampler(catalogQueues.queues, queueConnection),
  redis: commands,
  audit: () => audit.stats(),
  longPolls: () => services.notifier.waiting(),
});
const audited = countAuthFailures(audit, metrics.authFailures);
const failures = new AuthFailureLimiter({ failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE });
const limiter = new ClientRateLimiter();
const holdWarned = new Map<number, number>();
const sink = new QueueSink(queueConnection, catalog, states, {
  maxWaitingJobs: config.BACKLOG_MAX_WAITING_JOBS,
  maxHoldMs: config.BACKLOG_MAX_HOLD_MS,
  pollMs: 10,
  onHold: (partition, waiting) => {
    metrics.backlogHolds.inc();
    // One line per partition per minute at most: the counter has the rate.
    const now = Date.now();
    if (now - (holdWarned.get(partition) ?? 0) < 60_000) return;
    holdWarned.set(partition, now);
    log.warn(
      { partition, waiting, limit: config.BACKLOG_MAX_WAITING_JOBS },
      "partition backlog over the limit: accepting slows down to the pace of applying",
    );
  },
});
const coalescer = new Coalescer<QueuedOperation>({
  maxWaitMs: config.COALESCE_MAX_WAIT_MS,
  maxItems: config.COALESCE_MAX_OPERATIONS,
  store: async (partition, operations) => {
    await sink.store(partition, operations);
    metrics.batchOperations.observe(operations.length);
    metrics.accepted(operations);
  },
});
const memory = new RedisMemoryGuard(commands, config.REDIS_MEMORY_REFUSE_RATIO);
memory.start();
const policy = callbackUrlPolicy({
  allowHttp: config.WEBHOOK_ALLOW_HTTP,
  allowlist: config.WEBHOOK_ALLOWLIST,
  resolve: cachingResolver(systemResolver, 30_000),
});
const currencies = new CurrencyCache(db);
await currencies.all();

const services = {
  db,
  states,
  currencies,
  accept: { db, states, coalescer, partitions: config.PARTITIONS, log },
  notifier: new FinishedNotifier(subscriber, config.QUEUE_NAMESPACE),
  redisFull: () => memory.isFull(),
  checkCallbackUrl: async (url: string) => {
    const check = await checkCallbackUrl(url, policy);
    // A name that does not resolve right now is judged again at delivery; everything else is final.
    return check.ok || check.transient ? null : check.reason;
  },
  requireScope: (scope: Parameters<typeof requireScope>[0]) => requireScope(scope, audit),
};

const app = createApp({
  log,
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
        latencies: { accept: acceptLatency },
        thresholdMs: config.HEALTH_P95_THRESHOLD_MS,
      }),
    }),
  metrics: metricsEndpoint(metrics.registry),
  observeRequests: observeRequests({
    http: metrics.http,
    acceptLatency,
    onAcceptUnavailable: () => metrics.acceptUnavailable(),
    logRequests: config.LOG_REQUESTS,
  }),
  auditAdmin: auditAdminActions(audit),
  queueDashboard: queueDashboard({
    queues: catalogQueues.queues,
    authenticate: authenticate(registry, audited, { failures, basicRealm: "accounts" }),
    requireAdmin: services.requireScope("admin"),
    auditActions: auditAdminActions(audit),
  }),
  services,
  authenticate: authenticate(registry, audited, { failures }),
  rateLimit: rateLimit(limiter),
  extraRoutes: [
    deliveriesRoute(services),
    adminMaintenanceRoutes({
      db,
      requireScope: services.requireScope,
      enqueueMaintenance: enqueueOnQueue(maintenanceJobs),
    }),
  ],
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
  memory.stop();
  registry.close();
  await audit.close();
  await sink.close();
  await catalogQueues.close();
  services.notifier.close();
  commands.disconnect();
  queueConnection.disconnect();
  await db.destroy();
});
