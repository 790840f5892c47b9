import type { PoolClient } from "pg";
import { BALANCE_CTES, balanceRecordsets, checkVersionGuard } from "./balanceWrites.ts";
import { copyField, copyRows } from "./copyRows.ts";
import { writeSmallBatch } from "./writeSmallBatch.ts";

/** Up to this many operations, one statement writes everything (writeSmallBatch.ts); above, COPY. */
export const SMALL_BATCH = 32;

/** A balance to write: decimal strings at the currency's scale. */
export interface BalanceWrite {
  userId: string;
  currency: string;
  available: string;
  reserved: string;
  version: number;
  /** The version the row was locked at (the guard), or null for a row that does not exist yet. */
  loadedVersion: number | null;
}

export interface OperationWrite {
  id: string;
  clientId: string;
  idempotencyKey: string | null;
  type: string;
  /** The request as submitted (stored as json text, exactly as serialised here). */
  request: unknown;
  requestHash: string;
  status: "applied" | "rejected";
  rejection: unknown;
  balances: unknown;
  acceptedAt: Date;
  /** Where to notify the client of the result, if it asked: a webhook_outbox row is written. */
  callbackUrl: string | null;
}

export interface EntryWrite {
  operationId: string;
  seq: number;
  userId: string;
  currency: string;
  bucket: "available" | "reserved";
  amount: string;
  balanceAfter: string;
  version: number;
}

export interface BatchWrite {
  partition: number;
  finishedAt: Date;
  balances: readonly BalanceWrite[];
  operations: readonly OperationWrite[];
  entries: readonly EntryWrite[];
}

const OPERATION_COLUMNS = [
  "id",
  "client_id",
  "idempotency_key",
  "type",
  "request",
  "request_hash",
  "status",
  "rejection",
  "balances",
  "partition",
  "accepted_at",
  "finished_at",
] as const;

const ENTRY_COLUMNS = [
  "operation_id",
  "seq",
  "user_id",
  "currency",
  "bucket",
  "amount",
  "balance_after",
  "version",
  "created_at",
] as const;

/**
 * Writes a whole batch inside the caller's transaction. A small batch goes in one statement
 * (writeSmallBatch.ts); a larger one in three round trips:
 *
 * 1. `COPY operations FROM STDIN`: the operation rows;
 * 2. `COPY ledger_entries FROM STDIN`: their entries, in the order the operations were applied
 *    (entry ids follow it);
 * 3. one statement for the balances and the webhook outbox: a version-guarded UPDATE of every changed
 *    balance, an INSERT of balance rows that did not exist, an INSERT of outbox rows.
 *
 * COPY is the fastest bulk path PostgreSQL has (see docs/adr/0002-bulk-writes.md for the figures);
 * the small third statement reads its rows with `json_to_recordset`. Each account appears once: the
 * caller has already summed an account's changes over the batch.
 *
 * A new balance row that a concurrent transaction created first fails with a unique violation, and an
 * updated count below the number of guarded rows throws {@link VersionConflictError}: both are
 * retryable, and the retry finds the rows as they now are.
 *
 * ```sql
 * WITH updated AS (
 *   UPDATE accounts a SET available = v.a, reserved = v.r, total = v.a + v.r, version = v.v, updated_at = $1
 *   FROM json_to_recordset($2) AS v(u text, c text, a numeric, r numeric, v bigint, g bigint)
 *   WHERE a.user_id = v.u AND a.currency = v.c AND a.version = v.g RETURNING 1),
 * created AS (INSERT INTO accounts (...) SELECT ... FROM json_to_recordset($3) AS n(...) RETURNING 1),
 * outbox AS (INSERT INTO webhook_outbox (...) SELECT ... FROM json_to_recordset($4) AS w(...) RETURNING 1)
 * SELECT (SELECT count(*) FROM updated) AS updated
 * ```
 */
export async function writeBatch(client: PoolClient, batch: BatchWrite): Promise<void> {
  if (batch.operations.length <= SMALL_BATCH) return writeSmallBatch(client, batch);
  const finished = batch.finishedAt.toISOString();
  const partition = String(batch.partition);
  let opLines = "";
  const notify: object[] = [];
  for (const o of batch.operations) {
    const accepted = o.acceptedAt.toISOString();
    opLines += `${copyField(o.id)}\t${copyField(o.clientId)}\t${copyField(o.idempotencyKey)}\t${o.type}\t${copyField(
      JSON.stringify(o.request),
    )}\t${copyField(o.requestHash)}\t${o.status}\t${o.rejection ? copyField(JSON.stringify(o.rejection)) : "\\N"}\t${
      o.balances ? copyField(JSON.stringify(o.balances)) : "\\N"
    }\t${partition}\t${accepted}\t${finished}\n`;
    if (o.callbackUrl !== null) notify.push({ i: o.id, c: o.clientId, u: o.callbackUrl, a: accepted });
  }
  let entryLines = "";
  for (const e of batch.entries) {
    entryLines += `${copyField(e.operationId)}\t${e.seq}\t${copyField(e.userId)}\t${copyField(e.currency)}\t${e.bucket}\t${e.amount}\t${e.balanceAfter}\t${e.version}\t${finished}\n`;
  }
  await copyRows(client, "operations", OPERATION_COLUMNS, opLines);
  await copyRows(client, "ledger_entries", ENTRY_COLUMNS, entryLines);

  const { existing, created } = balanceRecordsets(batch.balances);
  const { rows } = await client.query<{ updated: number }>({
    name: "ledger-write-balances",
    text: `WITH ${BALANCE_CTES},
    outbox AS (
      INSERT INTO webhook_outbox (operation_id, client_id, url, accepted_at, created_at)
      SELECT w.i, w.c, w.u, w.a, $1
      FROM json_to_recordset($4::json) AS w(i text, c text, u text, a timestamptz)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM created)::int AS created,
           (SELECT count(*) FROM outbox)::int AS outbox`,
    values: [finished, JSON.stringify(existing), JSON.stringify(created), JSON.stringify(notify)],
  });
  checkVersionGuard(rows[0]?.updated, existing.length);
}
