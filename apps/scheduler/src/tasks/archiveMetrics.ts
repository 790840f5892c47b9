import {
  archiveBacklogOf,
  BACKUP_TYPES,
  newestBackupTimes,
  readRepositoryInfo,
  resolvePgBackRest,
} from "@accounts/backups";
import { type Db, readArchiverStatus } from "@accounts/db";
import type { Logger } from "@accounts/runtime";
import type { SchedulerConfig } from "../config.ts";
import type { MaintenanceMetrics } from "../metrics.ts";

const seconds = (at: Date | null) => (at ? at.getTime() / 1000 : 0);

/**
 * Sets the point-in-time recovery gauges: the WAL archiver's state from the database
 * (`pg_stat_archiver`, the current WAL file) and the newest backup of each type from the pgBackRest
 * repository. Each source is read on its own: a repository that cannot be read leaves its gauges as
 * they were (`PhysicalBackupStale` then fires as time passes), and is logged once per new error
 * rather than at every refresh. Never throws.
 */
export function archiveMetricsPublisher(deps: {
  db: Db;
  metrics: MaintenanceMetrics;
  config: Pick<SchedulerConfig, "PGBACKREST_CONFIG" | "PGBACKREST_STANZA">;
  log: Logger;
}): () => Promise<void> {
  const { metrics } = deps;
  let lastProblem = "";
  let running = false;
  const problem = (source: string, error: unknown) => {
    const message = `${source}: ${error instanceof Error ? error.message : String(error)}`;
    if (message !== lastProblem)
      deps.log.warn({ err: error }, `point-in-time recovery metrics: ${source} unreadable`);
    lastProblem = message;
  };
  return async () => {
    // A slow repository must not pile refreshes up: one at a time, the next tick tries again.
    if (running) return;
    running = true;
    try {
      await publish();
    } finally {
      running = false;
    }
  };

  async function publish(): Promise<void> {
    try {
      const status = await readArchiverStatus(deps.db);
      metrics.walArchivingEnabled.set(status.archiveMode === "off" ? 0 : 1);
      metrics.walArchivedCount.set(status.archivedCount);
      metrics.walArchiveFailedCount.set(status.failedCount);
      metrics.walArchiveLastSuccess.set(seconds(status.lastArchivedAt));
      metrics.walArchiveLastFailure.set(seconds(status.lastFailedAt));
      const backlog = archiveBacklogOf(status);
      metrics.walArchivePendingSegments.set(backlog.pendingSegments ?? Number.NaN);
      metrics.walArchiveLagSeconds.set(backlog.lagSeconds ?? Number.NaN);
    } catch (error) {
      problem("pg_stat_archiver", error);
    }
    try {
      const pgbr = resolvePgBackRest({
        configFile: deps.config.PGBACKREST_CONFIG,
        stanza: deps.config.PGBACKREST_STANZA,
      });
      const newest = newestBackupTimes(await readRepositoryInfo(pgbr));
      for (const type of BACKUP_TYPES)
        metrics.physicalBackupTimestamp.set({ type }, seconds(newest[type] ?? null));
    } catch (error) {
      problem("pgBackRest repository", error);
    }
  }
}
