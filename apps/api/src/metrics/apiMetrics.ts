import { OPERATION_TYPES, type OperationType } from "@accounts/domain";
import type { RedisClient } from "@accounts/queue";
import {
  BATCH_SIZE_BUCKETS,
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  observeDatabasePool,
  operationCounters,
  type PoolStats,
  type Registry,
} from "@accounts/runtime";
import { HttpMetrics } from "./httpMetrics.ts";
import type { QueueDepthSampler } from "./queueDepth.ts";
import { sampleRedisMemory } from "./redisMemory.ts";

/** Where the scrape-time gauges read from; each is optional so that tests can list the metrics bare. */
export interface ApiMetricSources {
  pool?: PoolStats;
  queues?: QueueDepthSampler;
  /** The queue Redis (INFO memory of every master). */
  redis?: RedisClient;
  audit?: () => { dropped: number; buffered: number };
  longPolls?: () => number;
}

export interface ApiMetrics {
  readonly registry: Registry;
  readonly http: HttpMetrics;
  /** Counts operations stored on a partition queue (`status="accepted"`), by type. */
  accepted(operations: readonly { request: { type: OperationType } }[]): void;
  /** A submission answered 503: it could not be stored durably. */
  acceptUnavailable(count?: number): void;
  /** Operations per coalesced queue job. */
  readonly batchOperations: Histogram;
  /** Time the API waited for Redis replicas to confirm a stored job (ACCEPT_MIN_REPLICAS). */
  readonly replicaWait: Histogram;
  /** Stored jobs whose replicas did not confirm in time (their operations were answered 503). */
  readonly replicasUnconfirmed: Counter;
  /** Queue jobs held back because their partition's backlog was over the limit (backpressure). */
  readonly backlogHolds: Counter;
  /** Failed authentications, by reason (missing_credentials, malformed_credentials, unknown_key). */
  readonly authFailures: Counter<"reason">;
}

const JOB_STATES = ["waiting", "active", "delayed", "failed"] as const;

/**
 * The API's metrics, in `registry` (see docs/runbooks/README.md for what each alert reads):
 *
 * - `accounts_http_requests_total{method,route,status}`, `accounts_http_request_duration_seconds{method,route}`
 *   (route is the pattern, `/v1/operations/:id`, never the path);
 * - `accounts_operation_total{operation,status="accepted"}`: operations stored on a partition queue
 *   (the worker counts the final statuses in the same metric, so summing by status over every
 *   process shows the lifecycle: accepted, then applied / rejected / failed);
 * - `accounts_operation_errors_total{kind="accept_unavailable"}`: submissions refused with 503;
 * - `accounts_coalesced_batch_operations`: operations per queue job;
 * - `accounts_accept_replica_wait_seconds`, `accounts_accept_replicas_unconfirmed_total`: the wait
 *   for Redis replicas before a 202 (ACCEPT_MIN_REPLICAS), and the jobs they did not confirm in time;
 * - queue depth per queue and state, age of the oldest waiting job, Redis memory and eviction
 *   policy, the database pool, audit events dropped, long polls waiting, failed authentications.
 *
 * The scrape-time gauges never fail the scrape: a source that cannot answer leaves its series out
 * (and `accounts_redis_up` says 0), so an outage shows as missing data, not a 500 from /metrics.
 */
export function createApiMetrics(registry: Registry, sources: ApiMetricSources = {}): ApiMetrics {
  const registers = [registry];
  const { operations, errors } = operationCounters(registry);
  const acceptedByType = new Map(OPERATION_TYPES.map((type) => [type, operations.labels(type, "accepted")]));
  for (const child of acceptedByType.values()) child.inc(0);
  const unavailable = errors.labels("accept_unavailable");
  unavailable.inc(0);
  const batchOperations = new Histogram({
    name: "accounts_coalesced_batch_operations",
    help: "Operations per queue job stored by the API (concurrent submissions of one partition are coalesced).",
    buckets: [...BATCH_SIZE_BUCKETS],
    registers,
  });
  const backlogHolds = new Counter({
    name: "accounts_backlog_holds_total",
    help: "Queue jobs the API held back (up to BACKLOG_MAX_HOLD_MS) because their partition had more than BACKLOG_MAX_WAITING_JOBS waiting.",
    registers,
  });
  const replicaWait = new Histogram({
    name: "accounts_accept_replica_wait_seconds",
    help: "Time the API waited (WAIT, one per job) for ACCEPT_MIN_REPLICAS Redis replicas to confirm a stored job.",
    buckets: [0.0001, 0.0005, ...LATENCY_BUCKETS_SECONDS],
    registers,
  });
  const replicasUnconfirmed = new Counter({
    name: "accounts_accept_replicas_unconfirmed_total",
    help: "Stored jobs whose Redis replicas did not confirm within ACCEPT_REPLICA_TIMEOUT_MS: their operations were answered 503 (a retry with the same Idempotency-Key gets the same id).",
    registers,
  });
  const authFailures = new Counter({
    name: "accounts_auth_failures_total",
    help: "Failed authentications (401), by reason: missing_credentials, malformed_credentials, unknown_key.",
    labelNames: ["reason"] as const,
    registers,
  });
  for (const reason of ["missing_credentials", "malformed_credentials", "unknown_key"]) {
    authFailures.inc({ reason }, 0);
  }
  const http = new HttpMetrics(
    new Counter({
      name: "accounts_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status code.",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    new Histogram({
      name: "accounts_http_request_duration_seconds",
      help: "Time from receiving an HTTP request to its answer, by method and route pattern.",
      labelNames: ["method", "route"] as const,
      buckets: [0.0005, ...LATENCY_BUCKETS_SECONDS],
      registers,
    }),
  );

  observeDatabasePool(
    registry,
    sources.pool ?? { totalCount: 0, idleCount: 0, waitingCount: 0, options: { max: 0 } },
  );
  defineQueueGauges(registry, sources.queues);
  defineRedisGauges(registry, sources.redis);
  defineProcessGauges(registry, sources);

  return {
    registry,
    http,
    accepted(stored) {
      for (const op of stored) acceptedByType.get(op.request.type)?.inc();
    },
    acceptUnavailable(count = 1) {
      unavailable.inc(count);
    },
    batchOperations,
    replicaWait,
    replicasUnconfirmed,
    backlogHolds,
    authFailures,
  };
}

function defineQueueGauges(registry: Registry, sampler: QueueDepthSampler | undefined): void {
  new Gauge({
    name: "accounts_queue_jobs",
    help: "Jobs per queue and state (waiting, active, delayed, failed); a partition job carries many operations.",
    labelNames: ["queue", "kind", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depths = await sampler?.sample().catch(() => undefined);
      for (const depth of depths ?? []) {
        for (const state of JOB_STATES) {
          this.set({ queue: depth.queue, kind: depth.kind, state }, depth[state]);
        }
      }
    },
  });
  new Gauge({
    name: "accounts_queue_oldest_waiting_age_seconds",
    help: "Seconds since the oldest waiting job of each queue was added (0 when none waits).",
    labelNames: ["queue", "kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depths = await sampler?.sample().catch(() => undefined);
      for (const depth of depths ?? []) {
        this.set({ queue: depth.queue, kind: depth.kind }, depth.oldestWaitingAgeSeconds);
      }
    },
  });
}

function defineRedisGauges(registry: Registry, redis: RedisClient | undefined): void {
  // One INFO per node serves the four gauges of a scrape: they are collected one after the other.
  let pending: ReturnType<typeof sampleRedisMemory> | undefined;
  const sample = () => {
    if (!redis) return Promise.resolve([]);
    if (!pending) {
      pending = sampleRedisMemory(redis);
      pending.finally(() => setTimeout(() => (pending = undefined), 1000).unref());
    }
    return pending;
  };
  const gauge = (
    name: string,
    help: string,
    value: (n: Awaited<ReturnType<typeof sample>>[number]) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["node"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const node of await sample()) {
          if (name === "accounts_redis_up" || node.up) this.set({ node: node.node }, value(node));
        }
      },
    });
  gauge("accounts_redis_up", "1 when the queue Redis node answered INFO at the last scrape, else 0.", (n) =>
    n.up ? 1 : 0,
  );
  gauge(
    "accounts_redis_memory_used_bytes",
    "used_memory of each queue Redis node (masters).",
    (n) => n.usedBytes,
  );
  gauge(
    "accounts_redis_memory_max_bytes",
    "maxmemory of each queue Redis node (0: no limit, which the deployment must never run with).",
    (n) => n.maxBytes,
  );
  gauge(
    "accounts_redis_connected_replicas",
    "Replicas connected to each queue Redis master (INFO replication connected_slaves). 0: losing that master's machine loses what it acknowledged since its replica left.",
    (n) => n.connectedReplicas,
  );
  gauge(
    "accounts_redis_maxmemory_policy_noeviction",
    "1 when the node's maxmemory-policy is noeviction (required: any other policy may drop accepted operations), else 0.",
    (n) => (n.policy === "noeviction" ? 1 : 0),
  );
}

function defineProcessGauges(registry: Registry, sources: ApiMetricSources): void {
  let droppedSeen = 0;
  new Counter({
    name: "accounts_audit_events_dropped_total",
    help: "Audit events dropped because the database was away or too slow (the API never waits for the audit log).",
    registers: [registry],
    collect() {
      const dropped = sources.audit?.().dropped ?? 0;
      if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
      droppedSeen = dropped;
    },
  });
  new Gauge({
    name: "accounts_audit_events_buffered",
    help: "Audit events waiting in memory to be written.",
    registers: [registry],
    collect() {
      this.set(sources.audit?.().buffered ?? 0);
    },
  });
  new Gauge({
    name: "accounts_long_polls_waiting",
    help: "GET /v1/operations/{id}?wait=N requests waiting for their operation to finish.",
    registers: [registry],
    collect() {
      this.set(sources.longPolls?.() ?? 0);
    },
  });
}
