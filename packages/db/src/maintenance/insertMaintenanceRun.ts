import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import type { MaintenanceTrigger } from "./maintenanceRun.ts";

export interface NewMaintenanceRun {
  task: string;
  trigger: MaintenanceTrigger;
  /** Anything worth keeping from the start (who asked, from where); JSON-serialisable. */
  details?: Record<string, unknown>;
}

/**
 * Records a run that starts now (status `running`) and returns its id. The API writes one before it
 * queues an operator's job, so the caller gets the id at once; the scheduler's worker then claims
 * that row with `claimMaintenanceRun` instead of writing another.
 *
 * ```sql
 * INSERT INTO maintenance_runs (task, status, trigger, details) VALUES ($1, 'running', $2, $3::jsonb) RETURNING id
 * ```
 *
 * @example
 * await insertMaintenanceRun(db, { task: "backup", trigger: "operator", details: { clientId: "cl_ops" } }) // 42
 */
export async function insertMaintenanceRun(db: Kysely<Database>, run: NewMaintenanceRun): Promise<number> {
  const row = await db
    .insertInto("maintenance_runs")
    .values({
      task: run.task,
      status: "running",
      trigger: run.trigger,
      details: JSON.stringify(run.details ?? {}),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}
