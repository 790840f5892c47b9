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
 * - `PhysicalBackupStale`: `time() - accounts_physical_backup_timestamp_seconds`
 * - `WalArchivingFailing`, `WalArchiveLagging`, `WalArchivingOff`: the `accounts_wal_archive*` gauges
 */
export interface MaintenanceMetrics {
  runs: Counter<"task" | "status">;
  duration: Histogram<"task">;
  lastSuccess: Gauge<"task">;
  reconcileMismatches: Gauge;
  reconcileOk: Gauge;
  backupSizeBytes: Gauge;
  partitionsDaysAhead: Gauge<"table">;
  physicalBackupTimestamp: Gauge<"type">;
  walArchivingEnabled: Gauge;
  walArchivedCount: Gauge;
  walArchiveFailedCount: Gauge;
  walArchiveLastSuccess: Gauge;
  walArchiveLastFailure: Gauge;
  walArchivePendingSegments: Gauge;
  walArchiveLagSeconds: Gauge;
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
  const physicalBackupTimestamp = new Gauge({
    name: "accounts_physical_backup_timestamp_seconds",
    help: "Unix time at which the newest physical backup (pgBackRest) of each type (full, diff, incr) ended, from the repository; 0 when there is none.",
    labelNames: ["type"] as const,
    registers,
  });
  const walArchivingEnabled = new Gauge({
    name: "accounts_wal_archiving_enabled",
    help: "1 when the database archives its WAL (archive_mode on), 0 when it does not: no point-in-time recovery then.",
    registers,
  });
  const walArchivedCount = new Gauge({
    name: "accounts_wal_archive_archived_count",
    help: "WAL files archived since the database's statistics were reset (pg_stat_archiver.archived_count).",
    registers,
  });
  const walArchiveFailedCount = new Gauge({
    name: "accounts_wal_archive_failed_count",
    help: "Failed attempts to archive a WAL file since the database's statistics were reset (pg_stat_archiver.failed_count).",
    registers,
  });
  const walArchiveLastSuccess = new Gauge({
    name: "accounts_wal_archive_last_success_timestamp_seconds",
    help: "Unix time of the newest WAL file archived (pg_stat_archiver.last_archived_time); 0 when none since the reset.",
    registers,
  });
  const walArchiveLastFailure = new Gauge({
    name: "accounts_wal_archive_last_failure_timestamp_seconds",
    help: "Unix time of the latest failed archive attempt (pg_stat_archiver.last_failed_time); 0 when none since the reset.",
    registers,
  });
  const walArchivePendingSegments = new Gauge({
    name: "accounts_wal_archive_pending_segments",
    help: "Finished WAL segments not archived yet (NaN when it cannot be told: standby, timeline switch).",
    registers,
  });
  const walArchiveLagSeconds = new Gauge({
    name: "accounts_wal_archive_lag_seconds",
    help: "0 while no finished WAL segment waits for the archive, else seconds since the archive last moved: with archive_timeout, what a lost primary would lose.",
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
    physicalBackupTimestamp,
    walArchivingEnabled,
    walArchivedCount,
    walArchiveFailedCount,
    walArchiveLastSuccess,
    walArchiveLastFailure,
    walArchivePendingSegments,
    walArchiveLagSeconds,
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
