import type { QueuedOperation, Rejection } from "@accounts/domain";
import type { PoolClient } from "pg";
import type { OperationWrite } from "./types.ts";

/**
 * PostgreSQL's last word on Idempotency-Keys (docs/adr/0008-idempotency-keys-in-postgresql.md):
 * `idempotency_keys` holds, per (client, key), the first operation applied under it, written by the
 * statement that writes the operation rows (keyClaimCte, in writeBatch.ts and writeSmallBatch.ts).
 * A second operation id for the same key (Redis forgot the key's record, a retry got a new id) is
 * never applied: it is made final as `rejected` with `duplicate_idempotency_key`, pointing at the
 * first one.
 *
 * The insert has no ON CONFLICT: on a job's first run the batch is not looked up first, and a key
 * taken already fails the statement with a unique violation on `idempotency_keys`; the batch is
 * then done again with the lookup (applyOperationBatch.ts), which finds the duplicates here.
 */

/**
 * The key claims of a batch's operation rows: every keyed operation except the duplicates.
 * `$1` of the statement is the time, `recordset` the parameter holding {@link keyClaimRecordset}.
 */
export function keyClaimCte(recordset: `$${number}`): string {
  return `keys AS (
      INSERT INTO idempotency_keys (client_id, idempotency_key, operation_id, created_at)
      SELECT k.c, k.k, k.i, $1
      FROM json_to_recordset(${recordset}::json) AS k(c text, k text, i text)
      RETURNING 1
    )`;
}

/** The recordset of {@link keyClaimCte}. */
export function keyClaimRecordset(operations: readonly OperationWrite[]): object[] {
  const rows: object[] = [];
  for (const o of operations) {
    const rejection = o.rejection as Rejection | null;
    if (o.idempotencyKey !== null && rejection?.code !== "duplicate_idempotency_key") {
      rows.push({ c: o.clientId, k: o.idempotencyKey, i: o.id });
    }
  }
  return rows;
}

/**
 * The fresh operations of a batch that must not be applied, with their rejection: their key is
 * held by another operation, in `idempotency_keys` or earlier in this batch.
 *
 * ```sql
 * SELECT client_id, idempotency_key, operation_id FROM idempotency_keys
 * WHERE (client_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
 * ```
 */
export async function findDuplicateKeys(
  client: PoolClient,
  fresh: readonly QueuedOperation[],
): Promise<Map<string, Rejection>> {
  const keyed = fresh.filter((op) => op.idempotencyKey !== null);
  const duplicates = new Map<string, Rejection>();
  if (keyed.length === 0) return duplicates;
  const { rows } = await client.query<{ client_id: string; idempotency_key: string; operation_id: string }>({
    name: "ledger-find-idempotency-keys",
    text: `SELECT client_id, idempotency_key, operation_id FROM idempotency_keys
           WHERE (client_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    values: [keyed.map((op) => op.clientId), keyed.map((op) => op.idempotencyKey)],
  });
  const owners = new Map(rows.map((row) => [pair(row.client_id, row.idempotency_key), row.operation_id]));
  for (const op of keyed) {
    const key = pair(op.clientId, op.idempotencyKey as string);
    const owner = owners.get(key);
    if (owner === undefined) owners.set(key, op.id);
    else if (owner !== op.id) duplicates.set(op.id, duplicateRejection(owner));
  }
  return duplicates;
}

function pair(clientId: string, key: string): string {
  return `${clientId}\u0000${key}`;
}

function duplicateRejection(first: string): Rejection {
  return {
    code: "duplicate_idempotency_key",
    message: `operation ${first} was applied first under the same Idempotency-Key: its result is the answer, this operation changed nothing`,
    duplicateOf: first,
  };
}
