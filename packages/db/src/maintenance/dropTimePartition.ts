import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";
import type { TimePartitionedTable } from "./listTimePartitions.ts";

const PARTITION_NAME: Record<TimePartitionedTable, RegExp> = {
  operations: /^operations_\d{8}$/,
  ledger_entries: /^ledger_entries_\d{6}$/,
};

export interface DropPartitionRequest {
  parent: TimePartitionedTable;
  name: string;
  /** How long each statement may wait for its lock before giving up (the next run tries again). */
  lockTimeoutMs: number;
}

/**
 * Detaches a time partition and drops it; returns false when it is not (or no longer) a partition of
 * `parent`. The name must look like one that `ensure_time_partitions` makes: anything else is refused.
 *
 * Why DETACH CONCURRENTLY first: a plain DROP of a partition takes an ACCESS EXCLUSIVE lock on the
 * parent, which would stall every insert of operations while it waits; the concurrent detach only
 * needs SHARE UPDATE EXCLUSIVE, and the detached table is then dropped without touching the parent.
 * A detach interrupted half way leaves the partition "detach pending", finished here with FINALIZE.
 * These statements cannot run in a transaction block, so they run on one session of their own.
 *
 * ```sql
 * SET lock_timeout = '5000ms';
 * ALTER TABLE operations DETACH PARTITION operations_20261020 CONCURRENTLY;  -- or ... FINALIZE
 * DROP TABLE operations_20261020;
 * RESET lock_timeout;
 * ```
 *
 * @example
 * await dropTimePartition(db, { parent: "operations", name: "operations_20261020", lockTimeoutMs: 5000 }) // true
 */
export async function dropTimePartition(
  db: Kysely<Database>,
  request: DropPartitionRequest,
): Promise<boolean> {
  if (!PARTITION_NAME[request.parent].test(request.name)) {
    throw new Error(`refusing to drop ${request.name}: not a time partition name of ${request.parent}`);
  }
  return db.connection().execute(async (session) => {
    await sql`SELECT set_config('lock_timeout', ${`${Math.max(1, Math.trunc(request.lockTimeoutMs))}ms`}, false)`.execute(
      session,
    );
    try {
      const { rows } = await sql<{ pending: boolean }>`
        SELECT i.inhdetachpending AS pending
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = ${request.parent} AND c.relname = ${request.name}
          AND p.relnamespace = 'public'::regnamespace
      `.execute(session);
      const attached = rows[0];
      if (!attached) return false;
      const parent = sql.table(request.parent);
      const child = sql.table(request.name);
      if (attached.pending)
        await sql`ALTER TABLE ${parent} DETACH PARTITION ${child} FINALIZE`.execute(session);
      else await sql`ALTER TABLE ${parent} DETACH PARTITION ${child} CONCURRENTLY`.execute(session);
      await sql`DROP TABLE ${child}`.execute(session);
      return true;
    } finally {
      await sql`RESET lock_timeout`.execute(session);
    }
  });
}
