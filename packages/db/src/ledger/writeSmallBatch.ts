import type { PoolClient } from "pg";
import { BALANCE_CTES, balanceRecordsets, checkVersionGuard } from "./balanceWrites.ts";
import type { BatchWrite } from "./writeBatch.ts";

/**
 * The write of a small batch in ONE statement: balances (version-guarded UPDATE and INSERT of new
 * rows), operation rows, ledger entries and outbox rows, all read with `json_to_recordset`. For a
 * few operations, the two extra round trips of COPY cost more than COPY saves (see writeBatch.ts).
 *
 * ```sql
 * WITH updated AS (UPDATE accounts ... FROM json_to_recordset($2) ... RETURNING 1),
 * created AS (INSERT INTO accounts ... FROM json_to_recordset($3) ...),
 * ops AS (INSERT INTO operations ... FROM json_to_recordset($4) ...),
 * entries AS (INSERT INTO ledger_entries ... FROM json_to_recordset($5) ... ORDER BY e.n),
 * outbox AS (INSERT INTO webhook_outbox ... FROM json_to_recordset($6) ...)
 * SELECT (SELECT count(*) FROM updated) AS updated
 * ```
 */
export async function writeSmallBatch(client: PoolClient, batch: BatchWrite): Promise<void> {
  const { existing, created } = balanceRecordsets(batch.balances);
  const notify: object[] = [];
  const ops = batch.operations.map((o) => {
    if (o.callbackUrl !== null) notify.push({ i: o.id, c: o.clientId, u: o.callbackUrl, a: o.acceptedAt });
    return {
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
    };
  });
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
    outbox AS (
      INSERT INTO webhook_outbox (operation_id, client_id, url, accepted_at, created_at)
      SELECT w.i, w.c, w.u, w.a, $1
      FROM json_to_recordset($6::json) AS w(i text, c text, u text, a timestamptz)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM created)::int AS created,
           (SELECT count(*) FROM ops)::int AS operations, (SELECT count(*) FROM entries)::int AS entries,
           (SELECT count(*) FROM outbox)::int AS outbox`,
    values: [
      batch.finishedAt.toISOString(),
      JSON.stringify(existing),
      JSON.stringify(created),
      JSON.stringify(ops),
      JSON.stringify(entries),
      JSON.stringify(notify),
      batch.partition,
    ],
  });
  checkVersionGuard(rows[0]?.updated, existing.length);
}
