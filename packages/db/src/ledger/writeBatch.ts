import type { PoolClient } from "pg";
import { copyField, copyRows } from "./copyRows.ts";
import { keyClaimCte, keyClaimRecordset } from "./idempotencyKeys.ts";
import type { BatchWrite } from "./types.ts";
import {
  BALANCE_CTES,
  balanceRecordsets,
  checkVersionGuard,
  outboxCte,
  outboxRecordset,
} from "./writeCtes.ts";
import { writeSmallBatch } from "./writeSmallBatch.ts";

/** Up to this many operations, one statement writes everything (writeSmallBatch.ts); above, COPY. */
export const SMALL_BATCH = 32;

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
 * 1. `COPY operations FROM STDIN` (copyRows.ts): the operation rows;
 * 2. `COPY ledger_entries FROM STDIN`: their entries, in the order the operations were applied
 *    (entry ids follow it);
 * 3. the statement `ledger-write-balances` below: BALANCE_CTES and outboxCte (writeCtes.ts), a
 *    version-guarded UPDATE of every changed balance, an INSERT of the balance rows that did not
 *    exist, an INSERT of the outbox rows.
 *
 * COPY is the fastest bulk path PostgreSQL has (see docs/adr/0002-bulk-writes.md for the figures).
 * Each account appears once: the caller has already summed an account's changes over the batch.
 *
 * A new balance row that a concurrent transaction created first fails with a unique violation, and an
 * updated count below the number of guarded rows throws {@link VersionConflictError}: both are
 * retryable, and the retry finds the rows as they now are.
 */
export async function writeBatch(client: PoolClient, batch: BatchWrite): Promise<void> {
  if (batch.operations.length <= SMALL_BATCH) return writeSmallBatch(client, batch);
  const finished = batch.finishedAt.toISOString();
  const partition = String(batch.partition);
  let opLines = "";
  for (const o of batch.operations) {
    opLines += `${copyField(o.id)}\t${copyField(o.clientId)}\t${copyField(o.idempotencyKey)}\t${o.type}\t${copyField(
      JSON.stringify(o.request),
    )}\t${copyField(o.requestHash)}\t${o.status}\t${o.rejection ? copyField(JSON.stringify(o.rejection)) : "\\N"}\t${
      o.balances ? copyField(JSON.stringify(o.balances)) : "\\N"
    }\t${partition}\t${o.acceptedAt.toISOString()}\t${finished}\n`;
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
    ${outboxCte("$4")},
    ${keyClaimCte("$5")}
    SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM created)::int AS created,
           (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM keys)::int AS keys`,
    values: [
      finished,
      JSON.stringify(existing),
      JSON.stringify(created),
      JSON.stringify(outboxRecordset(batch.operations)),
      JSON.stringify(keyClaimRecordset(batch.operations)),
    ],
  });
  checkVersionGuard(rows[0]?.updated, existing.length);
}
