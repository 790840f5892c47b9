import { type Db, VACUUM_TABLES, vacuumAnalyze } from "@accounts/db";
import type { TaskRunner } from "./task.ts";

/**
 * `vacuum`: `VACUUM (ANALYZE)` of each busy table in turn (outside any transaction), with its time.
 * A table that fails does not stop the others; the run then fails naming it.
 */
export function vacuumTask(deps: { db: Db }): TaskRunner {
  return async ({ log }) => {
    const tables: { table: string; ms: number; error?: string }[] = [];
    for (const table of VACUUM_TABLES) {
      try {
        const ms = await vacuumAnalyze(deps.db, table);
        tables.push({ table, ms: Math.round(ms) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error({ table, err: error }, "VACUUM (ANALYZE) failed");
        tables.push({ table, ms: 0, error: message });
      }
    }
    const failed = tables.filter((t) => t.error !== undefined).map((t) => t.table);
    return {
      ok: failed.length === 0,
      details: {
        tables,
        totalMs: tables.reduce((sum, t) => sum + t.ms, 0),
        ...(failed.length > 0 ? { error: `VACUUM failed for ${failed.join(", ")}` } : {}),
      },
    };
  };
}
