import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * The advisory lock key of the outbox sweep ("whoutbox" in ASCII, so no other lock collides by accident).
 */
const OUTBOX_SWEEP_LOCK_KEY = 0x77686f7574626f78n;

/**
 * Takes the outbox sweep's lock for the current transaction, if no other process holds it. With
 * several workers sweeping, one sweeps at a time and the others skip their turn, so the same stale
 * row is not queued by two of them at once. (An advisory lock needs no privilege on the table; the
 * application role may not `SELECT ... FOR UPDATE` the outbox.)
 *
 * ```sql
 * SELECT pg_try_advisory_xact_lock($1) AS locked
 * ```
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   if (!(await tryLockOutboxSweep(trx))) return; // another worker is sweeping
 *   ...
 * });
 */
export async function tryLockOutboxSweep(trx: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`
    SELECT pg_try_advisory_xact_lock(${OUTBOX_SWEEP_LOCK_KEY.toString()}::bigint) AS locked
  `.execute(trx);
  return rows[0]?.locked === true;
}
