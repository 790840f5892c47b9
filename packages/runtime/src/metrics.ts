import { totalmem } from "node:os";
import { Counter, collectDefaultMetrics, Gauge, Registry as PromRegistry, type Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Buckets of latencies measured in seconds, from 1 ms to 10 s: the accept path answers in a few
 * milliseconds, accept-to-finish takes tens of milliseconds when healthy and seconds under a
 * backlog, and anything slower than 10 s is an incident whatever its exact value.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Buckets of batch sizes (operations per queue job): 1 to the largest coalesced job. */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;

/**
 * The two operation series that the API and the worker both write (the API `accepted` and
 * `accept_unavailable`, the worker the final statuses and its errors), defined once so that their
 * help and labels agree whichever process exposes them.
 *
 * @example
 * const { operations, errors } = operationCounters(registry);
 * operations.labels("credit", "accepted").inc();
 */
export function operationCounters(registry: Registry): {
  operations: Counter<"operation" | "status">;
  errors: Counter<"kind">;
} {
  return {
    operations: new Counter({
      name: "accounts_operation_total",
      help: "Operations by type and status: accepted (API: stored on a queue), applied, rejected or failed (worker).",
      labelNames: ["operation", "status"] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: "accounts_operation_errors_total",
      help: "Infrastructure errors around operations, by kind: accept_unavailable (API: a submission refused with 503), transient, failed_operation, failed_job (worker).",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
  };
}

/** What the pool gauges read of a pg Pool (structural, so this package needs no pg). */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { readonly max?: number | undefined };
}

/**
 * A registry for one process: every series carries `service` (api, worker, scheduler), and the
 * default Node.js process metrics (CPU, memory, event loop lag, GC) are collected on scrape, with
 * `accounts_process_memory_limit_bytes` beside them so that memory use can be judged against the
 * container's limit (the MemoryHigh alert) without knowing the manifests.
 *
 * @example
 * const registry = createMetricsRegistry("worker");
 * new Counter({ name: "accounts_x_total", help: "...", registers: [registry] });
 */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new PromRegistry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    new Gauge({
      name: "accounts_process_memory_limit_bytes",
      help: "Memory this process may use: its cgroup (container) limit, or the machine's memory when unlimited.",
      registers: [registry],
      collect() {
        this.set(memoryLimitBytes());
      },
    });
  }
  return registry;
}

/**
 * `accounts_database_connections_active` (checked out), `_max` (the pool's ceiling) and `_waiting`
 * (callers queued for a connection), read from the pool at scrape time: no timer, no cost between
 * scrapes. Active near max with callers waiting is pool exhaustion (runbook database-pool.md).
 *
 * @example
 * observeDatabasePool(registry, pool);
 */
export function observeDatabasePool(registry: Registry, pool: PoolStats): void {
  const registers = [registry];
  new Gauge({
    name: "accounts_database_connections_active",
    help: "PostgreSQL connections of this process's pool that are checked out (in use).",
    registers,
    collect() {
      this.set(Math.max(0, pool.totalCount - pool.idleCount));
    },
  });
  new Gauge({
    name: "accounts_database_connections_max",
    help: "Most PostgreSQL connections this process's pool may open (DB_POOL_MAX).",
    registers,
    collect() {
      this.set(pool.options.max ?? 10);
    },
  });
  new Gauge({
    name: "accounts_database_connections_waiting",
    help: "Callers of this process waiting for a PostgreSQL connection because the pool is fully used.",
    registers,
    collect() {
      this.set(pool.waitingCount);
    },
  });
}

/** The cgroup limit (Node reports 2^64 when there is none), capped by the machine's memory. */
function memoryLimitBytes(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < machine ? constrained : machine;
}

/** The `metrics` hook of the probe server (and the API's `/metrics`): Prometheus text of `registry`. */
export function metricsEndpoint(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/**
 * Every series name `registry` can expose, histograms with their `_bucket`, `_sum` and `_count`:
 * what alert rules and dashboards may query. Tests compare infra/ against it.
 *
 * @example
 * seriesNamesOf(registry) // ["accounts_operation_duration_seconds_bucket", ..., "process_cpu_seconds_total"]
 */
export function seriesNamesOf(registry: Registry): string[] {
  const names: string[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    const type = String(metric.type);
    for (const suffix of SUFFIXES[type] ?? [""]) names.push(`${metric.name}${suffix}`);
  }
  return names.sort();
}
