import {
  type BackupType,
  type PgBackRest,
  RepositoryBusyError,
  resolvePgBackRest,
  takePhysicalBackup,
} from "@accounts/backups";
import type { SchedulerConfig } from "../config.ts";
import type { MaintenanceMetrics } from "../metrics.ts";
import type { TaskRunner } from "./task.ts";

export interface PhysicalBackupTaskDeps {
  config: Pick<SchedulerConfig, "PGBACKREST_CONFIG" | "PGBACKREST_STANZA">;
  metrics: MaintenanceMetrics;
  /** How to run pgBackRest; resolved from the config on each run when omitted (the file may appear later). */
  pgbackrest?: PgBackRest;
}

/**
 * `backup-full`, `backup-diff`, `backup-incr`: one pgBackRest backup of that type, then pgBackRest's
 * own expire (its `repo1-retention-*` settings). Recorded in the run: the backup set, its sizes, the
 * WAL it needs and what expired. When another backup holds the stanza's lock (a weekly full still
 * running at the hourly incremental's tick), the run succeeds as `skipped`: the running backup covers
 * it, and `PhysicalBackupStale` watches for backups that never end.
 */
export function physicalBackupTask(type: BackupType, deps: PhysicalBackupTaskDeps): TaskRunner {
  return async ({ log }) => {
    const pgbr =
      deps.pgbackrest ??
      resolvePgBackRest({ configFile: deps.config.PGBACKREST_CONFIG, stanza: deps.config.PGBACKREST_STANZA });
    try {
      const result = await takePhysicalBackup(pgbr, type, {
        onLine: (line) => {
          if (/ (WARN|ERROR):/.test(line)) log.warn({ pgbackrest: line.trim() }, "pgbackrest");
        },
      });
      const { backup } = result;
      deps.metrics.physicalBackupTimestamp.set({ type: backup.type }, backup.stoppedAt.getTime() / 1000);
      if (backup.type !== type) {
        log.warn(
          { requested: type, made: backup.type },
          "pgBackRest had nothing to build on and made a full backup",
        );
      }
      return {
        ok: true,
        details: {
          label: backup.label,
          type: backup.type,
          requestedType: type,
          prior: backup.prior,
          startedAt: backup.startedAt.toISOString(),
          stoppedAt: backup.stoppedAt.toISOString(),
          databaseBytes: backup.databaseBytes,
          repositoryBytes: backup.repositoryBytes,
          walStart: backup.walStart,
          walStop: backup.walStop,
          expired: result.expired,
          stanza: pgbr.stanza,
          backupMs: result.durationMs,
        },
      };
    } catch (error) {
      if (error instanceof RepositoryBusyError) {
        log.info({ type }, "another backup holds the repository's lock; this one is skipped");
        return { ok: true, details: { skipped: error.message, requestedType: type, stanza: pgbr.stanza } };
      }
      throw error;
    }
  };
}
