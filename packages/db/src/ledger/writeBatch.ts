import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";
import { VersionConflictError } from "../errors.ts";

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
  request: string;
  requestHash: string;
  status: "applied" | "rejected";
  rejection: string | null;
  balances: string | null;
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

/**
 * Writes a whole batch in ONE statement (one round trip): a version-guarded UPDATE of every changed
 * balance, an INSERT of balance rows that did not exist, and bulk INSERTs of the operation rows and
 * their ledger entries. Arrays go through `unnest`, which keeps the plan an index nested loop (a
 * `VALUES` list makes the planner hash the whole table). Each account appears once: the caller has
 * already summed an account's changes over the batch.
 *
 * A new balance row that a concurrent transaction created first fails with a unique violation, and an
 * updated count below the number of guarded rows throws {@link VersionConflictError}: both are
 * retryable, and the retry finds the rows as they now are.
 *
 * ```sql
 * WITH updated AS (
 *   UPDATE accounts a SET available = v.available, reserved = v.reserved,
 *     total = v.available + v.reserved, version = v.version, updated_at = $finished
 *   FROM unnest($users, $currencies, $available::numeric[], $reserved::numeric[], $version::bigint[], $guard::bigint[]) v(...)
 *   WHERE a.user_id = v.user_id AND a.currency = v.currency AND a.version = v.guard
 *   RETURNING 1),
 * created AS (INSERT INTO accounts (...) SELECT ... FROM unnest(...) RETURNING 1),
 * ops AS (INSERT INTO operations (...) SELECT ... FROM unnest(...) RETURNING 1),
 * entries AS (INSERT INTO ledger_entries (...) SELECT ... FROM unnest(...) WITH ORDINALITY ORDER BY ordinality RETURNING 1),
 * outbox AS (INSERT INTO webhook_outbox (...) SELECT ... FROM unnest(...) RETURNING 1)
 * SELECT (SELECT count(*) FROM updated) AS updated, ...
 * ```
 */
export async function writeBatch(db: Kysely<Database>, batch: BatchWrite): Promise<void> {
  const existing = batch.balances.filter((b) => b.loadedVersion !== null);
  const created = batch.balances.filter((b) => b.loadedVersion === null);
  const ops = batch.operations;
  const notify = ops.filter((o) => o.callbackUrl !== null);
  const entries = batch.entries;
  const finishedAt = batch.finishedAt;

  const { rows } = await sql<{
    updated: number;
    created: number;
    operations: number;
    entries: number;
    outbox: number;
  }>`
    WITH updated AS (
      UPDATE accounts a
      SET available = v.available, reserved = v.reserved, total = v.available + v.reserved,
          version = v.version, updated_at = ${finishedAt}
      FROM unnest(
        ${existing.map((b) => b.userId)}::text[], ${existing.map((b) => b.currency)}::text[],
        ${existing.map((b) => b.available)}::numeric[], ${existing.map((b) => b.reserved)}::numeric[],
        ${existing.map((b) => b.version)}::bigint[], ${existing.map((b) => b.loadedVersion)}::bigint[]
      ) AS v(user_id, currency, available, reserved, version, guard)
      WHERE a.user_id = v.user_id COLLATE "C" AND a.currency = v.currency COLLATE "C" AND a.version = v.guard
      RETURNING 1
    ),
    created AS (
      INSERT INTO accounts (user_id, currency, available, reserved, total, version, created_at, updated_at)
      SELECT n.user_id, n.currency, n.available, n.reserved, n.available + n.reserved, n.version,
             ${finishedAt}, ${finishedAt}
      FROM unnest(
        ${created.map((b) => b.userId)}::text[], ${created.map((b) => b.currency)}::text[],
        ${created.map((b) => b.available)}::numeric[], ${created.map((b) => b.reserved)}::numeric[],
        ${created.map((b) => b.version)}::bigint[]
      ) AS n(user_id, currency, available, reserved, version)
      RETURNING 1
    ),
    ops AS (
      INSERT INTO operations (id, client_id, idempotency_key, type, request, request_hash, status,
                              rejection, balances, partition, accepted_at, finished_at)
      SELECT o.id, o.client_id, o.idempotency_key, o.type, o.request, o.request_hash, o.status,
             o.rejection, o.balances, ${batch.partition}, o.accepted_at, ${finishedAt}
      FROM unnest(
        ${ops.map((o) => o.id)}::text[], ${ops.map((o) => o.clientId)}::text[],
        ${ops.map((o) => o.idempotencyKey)}::text[], ${ops.map((o) => o.type)}::text[],
        ${ops.map((o) => o.request)}::jsonb[], ${ops.map((o) => o.requestHash)}::text[],
        ${ops.map((o) => o.status)}::text[], ${ops.map((o) => o.rejection)}::jsonb[],
        ${ops.map((o) => o.balances)}::jsonb[], ${ops.map((o) => o.acceptedAt.toISOString())}::timestamptz[]
      ) AS o(id, client_id, idempotency_key, type, request, request_hash, status, rejection, balances, accepted_at)
      RETURNING 1
    ),
    entries AS (
      INSERT INTO ledger_entries (operation_id, seq, user_id, currency, bucket, amount, balance_after,
                                  version, created_at)
      SELECT e.operation_id, e.seq, e.user_id, e.currency, e.bucket, e.amount, e.balance_after, e.version,
             ${finishedAt}
      FROM unnest(
        ${entries.map((e) => e.operationId)}::text[], ${entries.map((e) => e.seq)}::smallint[],
        ${entries.map((e) => e.userId)}::text[], ${entries.map((e) => e.currency)}::text[],
        ${entries.map((e) => e.bucket)}::text[], ${entries.map((e) => e.amount)}::numeric[],
        ${entries.map((e) => e.balanceAfter)}::numeric[], ${entries.map((e) => e.version)}::bigint[]
      ) WITH ORDINALITY AS e(operation_id, seq, user_id, currency, bucket, amount, balance_after, version, ord)
      -- Entry ids follow this order: the order in which the operations were applied.
      ORDER BY e.ord
      RETURNING 1
    ),
    outbox AS (
      INSERT INTO webhook_outbox (operation_id, client_id, url, accepted_at, created_at)
      SELECT w.operation_id, w.client_id, w.url, w.accepted_at, ${finishedAt}
      FROM unnest(
        ${notify.map((o) => o.id)}::text[], ${notify.map((o) => o.clientId)}::text[],
        ${notify.map((o) => o.callbackUrl)}::text[], ${notify.map((o) => o.acceptedAt.toISOString())}::timestamptz[]
      ) AS w(operation_id, client_id, url, accepted_at)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM created)::int AS created,
           (SELECT count(*) FROM ops)::int AS operations, (SELECT count(*) FROM entries)::int AS entries,
           (SELECT count(*) FROM outbox)::int AS outbox
  `.execute(db);

  const counts = rows[0];
  if (!counts || counts.updated !== existing.length) {
    throw new VersionConflictError(
      `version guard matched ${counts?.updated ?? 0} of ${existing.length} balance rows; the batch is retried`,
    );
  }
}
