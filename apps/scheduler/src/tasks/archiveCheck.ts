import { checkArchiving, type PgBackRest, resolvePgBackRest } from "@accounts/backups";
import type { SchedulerConfig } from "../config.ts";
import type { TaskRunner } from "./task.ts";

/**
 * `archive-check`: `pgbackrest check`, which proves the whole chain works: the repository is reachable
 * and writable, its configuration matches the database, and a WAL segment the database switches to
 * reaches the archive. A failure fails the run (and `MaintenanceTaskFailing` alerts) with pgBackRest's
 * error, which names the broken link.
 */
export function archiveCheckTask(deps: {
  config: Pick<SchedulerConfig, "PGBACKREST_CONFIG" | "PGBACKREST_STANZA">;
  pgbackrest?: PgBackRest;
}): TaskRunner {
  return async () => {
    const pgbr =
      deps.pgbackrest ??
      resolvePgBackRest({ configFile: deps.config.PGBACKREST_CONFIG, stanza: deps.config.PGBACKREST_STANZA });
    const result = await checkArchiving(pgbr);
    return {
      ok: true,
      details: { stanza: pgbr.stanza, walSegment: result.walSegment, checkMs: result.durationMs },
    };
  };
}
