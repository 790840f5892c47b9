import { VersionConflictError } from "../errors.ts";
import type { BalanceWrite, OperationWrite } from "./types.ts";

/**
 * The SQL shared by the two write paths of a batch (writeBatch.ts with COPY, writeSmallBatch.ts in
 * one statement): the balance CTEs and the outbox CTE, the recordsets they read, and the version
 * guard that checks the result. Each statement is written here once; the write paths compose them.
 */

/**
 * The balance part of a write statement. Parameters: `$1` the finish time, `$2` the rows to update
 * (version-guarded: a row whose version moved since it was locked is not updated, and
 * {@link checkVersionGuard} throws), `$3` the rows to create; see {@link balanceRecordsets}.
 */
export const BALANCE_CTES = `updated AS (
      UPDATE accounts a
      SET available = v.a, reserved = v.r, total = v.a + v.r, version = v.v, updated_at = $1
      FROM json_to_recordset($2::json) AS v(u text, c text, a numeric, r numeric, v bigint, g bigint)
      WHERE a.user_id = v.u COLLATE "C" AND a.currency = v.c COLLATE "C" AND a.version = v.g
      RETURNING 1
    ),
    created AS (
      INSERT INTO accounts (user_id, currency, available, reserved, total, version, created_at, updated_at)
      SELECT n.u, n.c, n.a, n.r, n.a + n.r, n.v, $1, $1
      FROM json_to_recordset($3::json) AS n(u text, c text, a numeric, r numeric, v bigint)
      RETURNING 1
    )`;

/**
 * The outbox part of a write statement: one `webhook_outbox` row per operation that asked for a
 * webhook, written by the transaction that makes it final. `$1` is the creation time, `recordset`
 * the parameter holding {@link outboxRecordset}.
 */
export function outboxCte(recordset: `$${number}`): string {
  return `outbox AS (
      INSERT INTO webhook_outbox (operation_id, client_id, url, accepted_at, created_at)
      SELECT w.i, w.c, w.u, w.a, $1
      FROM json_to_recordset(${recordset}::json) AS w(i text, c text, u text, a timestamptz)
      RETURNING 1
    )`;
}

/** The `$2` (existing rows, with the version they were locked at) and `$3` (new rows) recordsets. */
export function balanceRecordsets(balances: readonly BalanceWrite[]): {
  existing: object[];
  created: object[];
} {
  const existing: object[] = [];
  const created: object[] = [];
  for (const b of balances) {
    if (b.loadedVersion === null)
      created.push({ u: b.userId, c: b.currency, a: b.available, r: b.reserved, v: b.version });
    else
      existing.push({
        u: b.userId,
        c: b.currency,
        a: b.available,
        r: b.reserved,
        v: b.version,
        g: b.loadedVersion,
      });
  }
  return { existing, created };
}

/** The recordset of {@link outboxCte}: the operations with a callback URL. */
export function outboxRecordset(operations: readonly OperationWrite[]): object[] {
  const rows: object[] = [];
  for (const o of operations) {
    if (o.callbackUrl !== null) rows.push({ i: o.id, c: o.clientId, u: o.callbackUrl, a: o.acceptedAt });
  }
  return rows;
}

/** Throws {@link VersionConflictError} (retryable) unless every guarded row was updated. */
export function checkVersionGuard(updated: number | undefined, expected: number): void {
  if (updated !== expected) {
    throw new VersionConflictError(
      `version guard matched ${updated ?? 0} of ${expected} balance rows; the batch is retried`,
    );
  }
}
