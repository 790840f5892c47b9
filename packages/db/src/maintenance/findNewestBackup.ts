import type { Kysely } from "kysely";
import type { Database } from "../database.ts";

export interface NewestBackup {
  runId: number;
  /**
   * When the run started. pg_dump's snapshot is taken after that, so every row committed before
   * this instant is in the backup.
   */
  startedAt: Date;
  details: Record<string, unknown>;
}

/**
 * The newest successful backup run, or undefined when there is none. The partitions task never drops
 * a partition whose rows may be missing from it.
 *
 * ```sql
 * SELECT id, started_at, details FROM maintenance_runs
 * WHERE task = 'backup' AND status = 'succeeded' ORDER BY started_at DESC LIMIT 1
 * ```
 *
 * @example
 * await findNewestBackup(db) // { runId: 42, startedAt: 2026-11-27T06:00:00.000Z, details: { file: "..." } }
 */
export async function findNewestBackup(db: Kysely<Database>): Promise<NewestBackup | undefined> {
  const row = await db
    .selectFrom("maintenance_runs")
    .select(["id", "started_at", "details"])
    .where("task", "=", "backup")
    .where("status", "=", "succeeded")
    .orderBy("started_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { runId: row.id, startedAt: row.started_at, details: row.details } : undefined;
}
