import type { PgTools } from "@accounts/backups";
import type { Db } from "@accounts/db";
import type { Catalog, MaintenanceTask, RedisClient } from "@accounts/queue";
import type { SchedulerConfig } from "../config.ts";
import type { MaintenanceMetrics } from "../metrics.ts";
import { archiveCheckTask } from "./archiveCheck.ts";
import { backupTask } from "./backup.ts";
import { partitionsTask } from "./partitions.ts";
import { physicalBackupTask } from "./physicalBackup.ts";
import { pruneLogsTask } from "./pruneLogs.ts";
import { reconcileTask } from "./reconcile.ts";
import type { TaskRunner } from "./task.ts";
import { vacuumTask } from "./vacuum.ts";

export interface TaskDeps {
  config: SchedulerConfig;
  db: Db;
  metrics: MaintenanceMetrics;
  /** Fail-fast Redis connection (the prune task cleans queues with it). */
  connection: RedisClient;
  catalog: Catalog;
  tools?: PgTools;
}

/** Every task of the catalog, each bound to what it needs (exhaustive: a new task fails to compile). */
export function buildTasks(deps: TaskDeps): Record<MaintenanceTask, TaskRunner> {
  const { config, db, metrics } = deps;
  return {
    backup: backupTask({ config, metrics, ...(deps.tools ? { tools: deps.tools } : {}) }),
    vacuum: vacuumTask({ db }),
    partitions: partitionsTask({ db, metrics, config }),
    "prune-logs": pruneLogsTask({ db, connection: deps.connection, catalog: deps.catalog, config }),
    reconcile: reconcileTask({ db, metrics, limit: config.RECONCILE_REPORT_LIMIT }),
    "backup-full": physicalBackupTask("full", { config, metrics }),
    "backup-diff": physicalBackupTask("diff", { config, metrics }),
    "backup-incr": physicalBackupTask("incr", { config, metrics }),
    "archive-check": archiveCheckTask({ config }),
  };
}
