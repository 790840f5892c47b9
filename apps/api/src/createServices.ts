import {
  CurrencyCache,
  createDb,
  createPool,
  ensureBootstrapClient,
  hex16ToLsn,
  ReplicaReads,
} from "@accounts/db";
import type { QueuedOperation } from "@accounts/domain";
import {
  catalogOf,
  createRedis,
  type MaintenanceJob,
  operationStatesOf,
  readCommitPosition,
  redisConfigOf,
} from "@accounts/queue";
import {
  createLogger,
  createMetricsRegistry,
  dependencyHealth,
  type Logger,
  metricsEndpoint,
  RecentLatency,
  ThrottledLog,
} from "@accounts/runtime";
import { cachingResolver, callbackUrlPolicy, checkCallbackUrl, systemResolver } from "@accounts/webhooks";
import type { Queue } from "bullmq";
import { Coalescer } from "./accept/coalescer.ts";
import { RedisMemoryGuard } from "./accept/memoryGuard.ts";
import { QueueSink } from "./accept/queueSink.ts";
import { openCatalogQueues } from "./admin/catalogQueues.ts";
import { queueDashboard } from "./admin/queueDashboard.ts";
import type { AppDeps } from "./app.ts";
import { auditAdminActions } from "./auth/auditAdminActions.ts";
import { AuditLogWriter } from "./auth/auditLog.ts";
import { authenticate } from "./auth/authenticate.ts";
import { ClientRegistry } from "./auth/clientRegistry.ts";
import { AuthFailureLimiter, ClientRateLimiter, rateLimit } from "./auth/rateLimit.ts";
import { requireScope } from "./auth/requireScope.ts";
import type { ApiConfig } from "./config.ts";
import { createApiMetrics } from "./metrics/apiMetrics.ts";
import { countAuthFailures } from "./metrics/countAuthFailures.ts";
import { observeRequests } from "./metrics/observeRequests.ts";
import { QueueDepthSampler } from "./metrics/queueDepth.ts";
import { replicaHealth } from "./metrics/redisMemory.ts";
import { FinishedNotifier } from "./read/finishedNotifier.ts";
import { defineReplicaMetrics } from "./read/replicaMetrics.ts";
import { adminMaintenanceRoutes, enqueueOnQueue } from "./routes/adminMaintenance.ts";
import { deliveriesRoute } from "./routes/deliveries.ts";
import type { ApiServices } from "./services.ts";

/** Everything an API process runs on, built from its configuration. */
export interface Api {
  readonly log: Logger;
  /** What the routes use. */
  readonly services: ApiServices;
  /** What `createApp` takes. */
  readonly app: AppDeps;
  /** Turns `/ready` to 200 (serving) or back to 503 (starting, draining). */
  setReady(ready: boolean): void;
  /** Stops the timers and closes every connection and pool, in dependency order. */
  close(): Promise<void>;
}

/** How often a partition held by the backpressure is logged, at most (the counter has the rate). */
const BACKLOG_HOLD_LOG_INTERVAL_MS = 60_000;

/**
 * Builds the API's services from `config`: the pool, the Redis connections, the client registry
 * (with the bootstrap client), the audit log, the accept path (sink, coalescer, memory guard), the
 * long-poll notifier, the metrics and the health checks, wired the one way `main.ts` and the tests
 * both use.
 *
 * @example
 * const api = await createServices(loadApiConfig());
 * const app = createApp(api.app);
 * // ... serve app.fetch, then api.setReady(true); on shutdown: await api.close();
 */
export async function createServices(
  config: Readonly<ApiConfig>,
  options: { log?: Logger } = {},
): Promise<Api> {
  const log = options.log ?? createLogger({ service: "api", level: config.LOG_LEVEL });
  const pool = createPool(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: "accounts-api" });
  const db = createDb(pool);
  const redisConfig = redisConfigOf(config);
  const commands = createRedis(redisConfig, "commands", log);
  const queueConnection = createRedis(redisConfig, "queue", log);
  const subscriber = createRedis(redisConfig, "subscriber", log);
  const catalog = catalogOf(config);
  const states = operationStatesOf(config, commands);
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
  const notifier = new FinishedNotifier(subscriber, config.QUEUE_NAMESPACE);
  const metrics = createApiMetrics(createMetricsRegistry("api"), {
    pool,
    queues: new QueueDepthSampler(catalogQueues.queues, queueConnection),
    redis: commands,
    audit: () => audit.stats(),
    longPolls: () => notifier.waiting(),
  });
  const replicaMetrics = defineReplicaMetrics(metrics.registry);
  const reads = new ReplicaReads({
    primary: db,
    replicas: config.DATABASE_REPLICA_URLS.map((url, i) => ({ name: replicaName(url, i), url })),
    commitPosition: async (scope) => {
      const mark = await readCommitPosition(commands, config.QUEUE_NAMESPACE, scope);
      return mark === null ? null : hex16ToLsn(mark);
    },
    maxLagSeconds: config.REPLICA_MAX_LAG_SECONDS,
    pollIntervalMs: config.REPLICA_POLL_MS,
    pool: { max: config.DB_POOL_MAX, applicationName: "accounts-api-replica" },
    onRead: replicaMetrics.onRead,
  });
  replicaMetrics.watch(reads);
  reads.start();
  const audited = countAuthFailures(audit, metrics.authFailures);
  const failures = new AuthFailureLimiter({ failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE });
  const holds = new ThrottledLog(log, { intervalMs: BACKLOG_HOLD_LOG_INTERVAL_MS });
  const sink = new QueueSink(
    queueConnection,
    catalog,
    states,
    {
      maxWaitingJobs: config.BACKLOG_MAX_WAITING_JOBS,
      maxWaitingOperations: config.BACKLOG_MAX_WAITING_OPERATIONS,
      maxHoldMs: config.BACKLOG_MAX_HOLD_MS,
      pollMs: 10,
      onHold: (partition, waiting) => {
        metrics.backlogHolds.inc();
        holds.warn(
          `partition-${partition}`,
          { partition, waiting, limit: config.BACKLOG_MAX_WAITING_JOBS },
          "partition backlog over the limit: accepting slows down to the pace of applying",
        );
      },
    },
    {
      minReplicas: config.ACCEPT_MIN_REPLICAS,
      timeoutMs: config.ACCEPT_REPLICA_TIMEOUT_MS,
      observe: (seconds, confirmed) => {
        metrics.replicaWait.observe(seconds);
        if (!confirmed) metrics.replicasUnconfirmed.inc();
      },
    },
  );
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

  const services: ApiServices = {
    db,
    reads,
    states,
    currencies,
    accept: {
      db,
      states,
      coalescer,
      partitions: config.PARTITIONS,
      log,
      confirmReplays: config.ACCEPT_MIN_REPLICAS > 0,
    },
    notifier,
    redisFull: () => memory.isFull(),
    checkCallbackUrl: async (url: string) => {
      const check = await checkCallbackUrl(url, policy);
      // A name that does not resolve right now is judged again at delivery; everything else is final.
      return check.ok || check.transient ? null : check.reason;
    },
    requireScope: (scope) => requireScope(scope, audit),
  };

  const app: AppDeps = {
    log,
    ready: () => ready,
    health: dependencyHealth({
      database: pool,
      ...(reads.hasReplicas
        ? { databaseDetails: () => replicationHealth(reads, config.REPLICA_MAX_LAG_SECONDS) }
        : {}),
      redis: commands,
      performance: { latencies: { accept: acceptLatency }, thresholdMs: config.HEALTH_P95_THRESHOLD_MS },
      more: { redisReplicas: replicaHealth(commands, config.ACCEPT_MIN_REPLICAS) },
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
    rateLimit: rateLimit(new ClientRateLimiter()),
    extraRoutes: [
      deliveriesRoute(services),
      adminMaintenanceRoutes({
        db,
        requireScope: services.requireScope,
        enqueueMaintenance: enqueueOnQueue(maintenanceJobs),
      }),
    ],
  };

  return {
    log,
    services,
    app,
    setReady(value) {
      ready = value;
    },
    async close() {
      memory.stop();
      registry.close();
      await audit.close();
      await sink.close();
      await catalogQueues.close();
      notifier.close();
      holds.flush();
      commands.disconnect();
      queueConnection.disconnect();
      await reads.close();
      await db.destroy();
    },
  };
}

/** A replica's name in metrics and /health: host and port of its URL (never its credentials). */
function replicaName(url: string, index: number): string {
  try {
    const parsed = new URL(url);
    return `${decodeURIComponent(parsed.hostname)}:${parsed.port || "5432"}`;
  } catch {
    return `replica-${index + 1}`;
  }
}

/** The `database` check's replication part: each replica's lag; degraded when one is not usable. */
function replicationHealth(reads: ReplicaReads, maxLagSeconds: number) {
  const replicas = reads.status().map((status) => ({
    name: status.name,
    up: status.ok,
    lagSeconds: status.lagSeconds ?? null,
    lagBytes: status.lagBytes ?? null,
    ...(status.error ? { error: status.error } : {}),
  }));
  const usable = (r: (typeof replicas)[number]) =>
    r.up && r.lagSeconds !== null && r.lagSeconds <= maxLagSeconds;
  return {
    status: replicas.every(usable) ? ("healthy" as const) : ("degraded" as const),
    details: { replicationLagSeconds: Math.max(0, ...replicas.map((r) => r.lagSeconds ?? 0)), replicas },
  };
}
