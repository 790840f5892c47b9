import { type Db, deleteExpiredRows } from "@accounts/db";
import type { Catalog, RedisClient } from "@accounts/queue";
import type { SchedulerConfig } from "../config.ts";
import { trimFinishedJobs } from "./finishedJobs.ts";
import { pruneLogFiles } from "./logFiles.ts";
import type { TaskRunner } from "./task.ts";

const DAY_MS = 86_400_000;

export interface PruneLogsTaskDeps {
  db: Db;
  /** A fail-fast connection for the queues' `clean` commands. */
  connection: RedisClient;
  catalog: Catalog;
  config: Pick<
    SchedulerConfig,
    | "LOG_DIR"
    | "LOG_RETENTION_DAYS"
    | "WEBHOOK_DELIVERIES_RETENTION_DAYS"
    | "AUDIT_LOG_RETENTION_DAYS"
    | "MAINTENANCE_RUNS_RETENTION_DAYS"
  >;
}

/**
 * `prune-logs`: old log files in LOG_DIR, finished BullMQ jobs past their retention on every queue,
 * and rows of webhook_deliveries, audit_log and maintenance_runs past theirs.
 */
export function pruneLogsTask(deps: PruneLogsTaskDeps): TaskRunner {
  const { config } = deps;
  return async ({ now }) => {
    const at = now().getTime();
    const daysAgo = (days: number) => new Date(at - days * DAY_MS);

    const files = config.LOG_DIR
      ? await pruneLogFiles(config.LOG_DIR, daysAgo(config.LOG_RETENTION_DAYS))
      : "LOG_DIR not set";
    const queues = await trimFinishedJobs(deps.connection, deps.catalog);
    const rows = {
      webhook_deliveries: await deleteExpiredRows(deps.db, {
        table: "webhook_deliveries",
        before: daysAgo(config.WEBHOOK_DELIVERIES_RETENTION_DAYS),
      }),
      audit_log: await deleteExpiredRows(deps.db, {
        table: "audit_log",
        before: daysAgo(config.AUDIT_LOG_RETENTION_DAYS),
      }),
      maintenance_runs: await deleteExpiredRows(deps.db, {
        table: "maintenance_runs",
        before: daysAgo(config.MAINTENANCE_RUNS_RETENTION_DAYS),
      }),
    };
    const touched = queues.filter((q) => q.completed + q.failed + q.eventsTrimmed > 0);
    return {
      ok: true,
      details: {
        logFiles:
          typeof files === "string"
            ? files
            : {
                dir: config.LOG_DIR,
                ...files,
                deleted: files.deleted.slice(0, 100),
                deletedCount: files.deleted.length,
              },
        jobs: {
          completedRemoved: queues.reduce((sum, q) => sum + q.completed, 0),
          failedRemoved: queues.reduce((sum, q) => sum + q.failed, 0),
          queues: touched,
        },
        rowsDeleted: rows,
      },
    };
  };
}
