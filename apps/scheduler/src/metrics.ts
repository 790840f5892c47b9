import { MAINTENANCE_TASKS, type MaintenanceTask } from "@accounts/queue";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * The scheduler's metrics, each in the registry given (one per scheduler instance, so that two
 * instances in one test process do not share counters). Alerts built on them (docs/runbooks/maintenance.md):
 *
 * - `MaintenanceTaskFailing`: `increase(accounts_maintenance_runs_total{status="failed"}[...])`
 * - `BackupStale`: `time() - accounts_maintenance_last_success_timestamp_seconds{task="backup"}`
 * - `ReconcileMismatch`: `accounts_reconcile_ok == 0`
 * - `PartitionsNotCreatedAhead`: `accounts_partitions_days_ahead{table="operations"}`
 */
export interface MaintenanceMetrics {
  runs: Counter<"task" | "status">;
  duration: Histogram<"task">;
  lastSuccess: Gauge<"task">;
  reconcileMismatches: Gauge;
  reconcileOk: Gauge;
  backupSizeBytes: Gauge;
  partitionsDaysAhead: Gauge<"table">;
}

export function createMaintenanceMetrics(registry: Registry): MaintenanceMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: "accounts_maintenance_runs_total",
    help: "Maintenance runs finished by this process, by task and final status (succeeded, failed).",
    labelNames: ["task", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "accounts_maintenance_duration_seconds",
    help: "Duration of maintenance runs finished by this process, by task.",
    labelNames: ["task"] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400],
    registers,
  });
  const lastSuccess = new Gauge({
    name: "accounts_maintenance_last_success_timestamp_seconds",
    help: "Unix time at which the latest successful run of each task ended (any process, from maintenance_runs).",
    labelNames: ["task"] as const,
    registers,
  });
  const reconcileMismatches = new Gauge({
    name: "accounts_reconcile_mismatches",
    help: "Ledger invariant violations found by the latest reconcile run.",
    registers,
  });
  const reconcileOk = new Gauge({
    name: "accounts_reconcile_ok",
    help: "1 when the latest reconcile run found the ledger consistent, 0 when it found mismatches or could not check.",
    registers,
  });
  const backupSizeBytes = new Gauge({
    name: "accounts_backup_last_size_bytes",
    help: "Size in bytes of the latest successful backup file.",
    registers,
  });
  const partitionsDaysAhead = new Gauge({
    name: "accounts_partitions_days_ahead",
    help: "Days from now to the end of the last time partition that exists without a gap, per partitioned table.",
    labelNames: ["table"] as const,
    registers,
  });
  // Zero series for every task, so that rate() and increase() see a start instead of a missing series.
  for (const task of MAINTENANCE_TASKS) {
    for (const status of ["succeeded", "failed"]) runs.inc({ task, status }, 0);
  }
  return {
    runs,
    duration,
    lastSuccess,
    reconcileMismatches,
    reconcileOk,
    backupSizeBytes,
    partitionsDaysAhead,
  };
}

/** Records one finished run in the counters and the duration histogram. */
export function observeRun(
  metrics: MaintenanceMetrics,
  task: MaintenanceTask,
  status: "succeeded" | "failed",
  seconds: number,
): void {
  metrics.runs.inc({ task, status });
  metrics.duration.observe({ task }, seconds);
}
