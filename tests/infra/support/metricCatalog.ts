import { createMetricsRegistry, type Registry } from "@accounts/runtime";
import { createApiMetrics } from "../../../apps/api/src/metrics/apiMetrics.ts";
import { defineReplicaMetrics } from "../../../apps/api/src/read/replicaMetrics.ts";
import { createMaintenanceMetrics } from "../../../apps/scheduler/src/metrics.ts";
import { createWorkerMetrics } from "../../../apps/worker/src/metrics.ts";

/** Labels every series gets: `service` from the registry, `instance` and `job` from Prometheus. */
const TARGET_LABELS = ["service", "instance", "job"];

/**
 * Every series the three apps can expose, from their metric modules themselves (not from a list
 * kept by hand), with the label names each accepts. A histogram contributes `_bucket` (with `le`),
 * `_sum` and `_count`.
 *
 * @example
 * metricCatalog().get("accounts_queue_jobs") // Set { "queue", "kind", "state", "service", ... }
 */
export function metricCatalog(): Map<string, Set<string>> {
  const catalog = new Map<string, Set<string>>();
  const add = (registry: Registry) => {
    for (const metric of registry.getMetricsAsArray()) {
      const own = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
      const labels = new Set([...own, ...TARGET_LABELS]);
      const type = String(metric.type);
      if (type === "histogram") {
        catalog.set(`${metric.name}_bucket`, new Set([...labels, "le"]));
        catalog.set(`${metric.name}_sum`, labels);
        catalog.set(`${metric.name}_count`, labels);
      } else {
        catalog.set(metric.name, labels);
      }
    }
  };
  const api = createApiMetrics(createMetricsRegistry("api")).registry;
  defineReplicaMetrics(api);
  add(api);
  add(createWorkerMetrics(createMetricsRegistry("worker")).registry);
  const scheduler = createMetricsRegistry("scheduler");
  createMaintenanceMetrics(scheduler);
  add(scheduler);
  return catalog;
}

/**
 * Metrics that come from elsewhere than this code, and where: alerts and panels may use these too.
 */
export const EXTERNAL_METRICS: Record<string, string> = {
  up: "Prometheus (one per scrape target)",
  pg_up: "postgres_exporter beside each PostgreSQL pod",
};
