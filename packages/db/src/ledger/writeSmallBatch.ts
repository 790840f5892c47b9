import type { PoolClient } from "pg";
import { keyClaimCte, keyClaimRecordset } from "./idempotencyKeys.ts";
import type { BatchWrite } from "./types.ts";
import {
  BALANCE_CTES,
  balanceRecordsets,
  checkVersionGuard,
  outboxCte,
  outboxRecordset,
} from "./writeCtes.ts";

/**
 * The write of a small batch in ONE statement, `ledger-write-small-batch` below: BALANCE_CTES and
 * outboxCte (writeCtes.ts) with the operation rows and ledger entries, every row read with
 * `json_to_recordset`. For a few operations, the two extra round trips of COPY cost more than COPY
 * saves (see writeBatch.ts).
 */
export async function writeSmallBatch(client: PoolClient, batch: BatchWrite): Promise<void> {
  const { existing, created } = balanceRecordsets(batch.balances);
  const ops = batch.operations.map((o) => ({
    i: o.id,
    c: o.clientId,
    k: o.idempotencyKey,
    t: o.type,
    q: o.request,
    h: o.requestHash,
    s: o.status,
    r: o.rejection,
    b: o.balances,
    a: o.acceptedAt,
  }));
  const entries = batch.entries.map((e, n) => ({
    n,
    o: e.operationId,
    s: e.seq,
    u: e.userId,
    c: e.currency,
    b: e.bucket,
    a: e.amount,
    f: e.balanceAfter,
    v: e.version,
  }));
  const { rows } = await client.query<{ updated: number }>({
    name: "ledger-write-small-batch",
    text: `WITH ${BALANCE_CTES},
    ops AS (
      INSERT INTO operations (id, client_id, idempotency_key, type, request, request_hash, status,
                              rejection, balances, partition, accepted_at, finished_at)
      SELECT o.i, o.c, o.k, o.t, o.q, o.h, o.s, o.r, o.b, $7, o.a, $1
      FROM json_to_recordset($4::json)
        AS o(i text, c text, k text, t text, q json, h text, s text, r json, b json, a timestamptz)
      RETURNING 1
    ),
    entries AS (
      INSERT INTO ledger_entries (operation_id, seq, user_id, currency, bucket, amount, balance_after,
                                  version, created_at)
      SELECT e.o, e.s, e.u, e.c, e.b, e.a, e.f, e.v, $1
      FROM json_to_recordset($5::json)
        AS e(n integer, o text, s smallint, u text, c text, b text, a numeric, f numeric, v bigint)
      -- Entry ids follow this order: the order in which the operations were applied.
      ORDER BY e.n
      RETURNING 1
    ),
    ${outboxCte("$6")},
    ${keyClaimCte("$8")}
    SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM created)::int AS created,
           (SELECT count(*) FROM ops)::int AS operations, (SELECT count(*) FROM entries)::int AS entries,
           (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM keys)::int AS keys`,
    values: [
      batch.finishedAt.toISOString(),
      JSON.stringify(existing),
      JSON.stringify(created),
      JSON.stringify(ops),
      JSON.stringify(entries),
      JSON.stringify(outboxRecordset(batch.operations)),
      batch.partition,
      JSON.stringify(keyClaimRecordset(batch.operations)),
    ],
  });
  checkVersionGuard(rows[0]?.updated, existing.length);
}
