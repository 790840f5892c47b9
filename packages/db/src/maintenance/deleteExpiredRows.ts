import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/** The tables pruned by age, each with the timestamp column that dates a row. */
export const EXPIRING_TABLES = {
  webhook_deliveries: "at",
  audit_log: "at",
  maintenance_runs: "started_at",
} as const;
export type ExpiringTable = keyof typeof EXPIRING_TABLES;

export interface DeleteExpiredRequest {
  table: ExpiringTable;
  /** Rows dated before this instant go. */
  before: Date;
  /** Rows per statement (each is its own short transaction). Default 5000. */
  batchSize?: number;
}

/**
 * Deletes the rows of `table` older than `before`, in batches of `batchSize` so that no statement
 * holds many row locks or a long transaction, and returns how many went. Batches are taken in id
 * order: ids grow with time, so the old rows are found at the start of the primary key index.
 *
 * ```sql
 * DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)
 * -- repeated until a batch deletes fewer than $2 rows
 * ```
 *
 * @example
 * await deleteExpiredRows(db, { table: "audit_log", before: new Date("2025-11-27T00:00:00Z") }) // 1234
 */
export async function deleteExpiredRows(
  db: Kysely<Database>,
  request: DeleteExpiredRequest,
): Promise<number> {
  const column = EXPIRING_TABLES[request.table];
  if (!column) throw new Error(`refusing to prune unknown table ${request.table}`);
  const batchSize = request.batchSize ?? 5000;
  const table = sql.table(request.table);
  const dated = sql.ref(column);
  let deleted = 0;
  for (;;) {
    const result = await sql`
      DELETE FROM ${table} WHERE id IN (
        SELECT id FROM ${table} WHERE ${dated} < ${request.before} ORDER BY id LIMIT ${batchSize}
      )
    `.execute(db);
    const count = Number(result.numAffectedRows ?? 0n);
    deleted += count;
    if (count < batchSize) return deleted;
  }
}
