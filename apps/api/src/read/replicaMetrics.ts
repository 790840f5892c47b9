import type { ReadTarget, ReplicaReads } from "@accounts/db";
import { Counter, Gauge, type Registry } from "@accounts/runtime";

/**
 * Metrics of replica reads: reads by target, and each replica's lag as this API process last
 * polled it (`pg_replication_lag_seconds`, which the alert rules use, and the lag in bytes).
 */
export function defineReplicaMetrics(registry: Registry) {
  const reads = new Counter({
    name: "accounts_db_reads_total",
    help: "Reads of balances, entries and final operations, by where they were served: primary or replica.",
    labelNames: ["target"] as const,
    registers: [registry],
  });
  let source: ReplicaReads | undefined;
  new Gauge({
    name: "pg_replication_lag_seconds",
    help: "Seconds since the primary wrote WAL this replica has not replayed (0 when caught up, even with an idle primary).",
    labelNames: ["replica"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of source?.status() ?? []) {
        if (status.lagSeconds !== undefined) this.set({ replica: status.name }, status.lagSeconds);
      }
    },
  });
  new Gauge({
    name: "accounts_db_replica_lag_bytes",
    help: "Bytes of WAL the primary has written that this replica has not replayed.",
    labelNames: ["replica"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of source?.status() ?? []) {
        if (status.lagBytes !== undefined) this.set({ replica: status.name }, status.lagBytes);
      }
    },
  });
  new Gauge({
    name: "accounts_db_replica_up",
    help: "1 when this replica's last poll answered and it is in recovery, else 0.",
    labelNames: ["replica"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of source?.status() ?? []) this.set({ replica: status.name }, status.ok ? 1 : 0);
    },
  });
  return {
    onRead: (target: ReadTarget) => reads.inc({ target }),
    watch(replicas: ReplicaReads) {
      source = replicas;
    },
  };
}
