import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

export interface EntryRow {
  id: number;
  operationId: string;
  currency: string;
  bucket: "available" | "reserved";
  amount: string;
  balanceAfter: string;
  version: number;
  createdAt: Date;
}

export interface ListEntriesQuery {
  userId: string;
  currency?: string;
  /** Only entries older than this entry id (the cursor). */
  beforeId?: number;
  limit: number;
}

/**
 * A user's ledger entries, newest first (entry ids follow commit order per account). Per currency it
 * walks the (user_id, currency, id) index backwards; across currencies it merges one such walk per
 * currency the user holds, so no sort of the whole history is ever needed.
 *
 * ```sql
 * SELECT e.* FROM (SELECT currency FROM accounts WHERE user_id = $1) c
 * CROSS JOIN LATERAL (SELECT ... FROM ledger_entries WHERE user_id = $1 AND currency = c.currency
 *   AND id < $before ORDER BY id DESC LIMIT $limit) e
 * ORDER BY e.id DESC LIMIT $limit
 * ```
 */
export async function listEntries(db: Kysely<Database>, query: ListEntriesQuery): Promise<EntryRow[]> {
  const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
  const currencies =
    query.currency !== undefined
      ? sql`(SELECT ${query.currency}::text AS currency)`
      : sql`(SELECT currency FROM accounts WHERE user_id = ${query.userId})`;
  const { rows } = await sql<EntryRow>`
    SELECT e.id, e.operation_id AS "operationId", e.currency, e.bucket, e.amount,
           e.balance_after AS "balanceAfter", e.version, e.created_at AS "createdAt"
    FROM ${currencies} AS c
    CROSS JOIN LATERAL (
      SELECT * FROM ledger_entries
      WHERE user_id = ${query.userId} AND currency = c.currency COLLATE "C" AND id < ${before}
      ORDER BY id DESC LIMIT ${query.limit}
    ) e
    ORDER BY e.id DESC
    LIMIT ${query.limit}
  `.execute(db);
  return rows;
}
