import { VersionConflictError } from "../errors.ts";
import type { BalanceWrite } from "./writeBatch.ts";

/**
 * The balance part of a batch's write statement, shared by the COPY path (writeBatch.ts) and the
 * one-statement path (writeSmallBatch.ts). Parameters: `$1` the finish time, `$2` the rows to update
 * (version-guarded), `$3` the rows to create; see {@link balanceRecordsets}.
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

/** Throws {@link VersionConflictError} (retryable) unless every guarded row was updated. */
export function checkVersionGuard(updated: number | undefined, expected: number): void {
  if (updated !== expected) {
    throw new VersionConflictError(
      `version guard matched ${updated ?? 0} of ${expected} balance rows; the batch is retried`,
    );
  }
}
