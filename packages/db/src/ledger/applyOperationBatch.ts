import {
  type Balance,
  BalanceBook,
  compareAccounts,
  formatAmount,
  isSystemAccount,
  type Plan,
  parseDecimal,
  planOperation,
  type Rejection,
} from "@accounts/domain";
import type { Pool, PoolClient } from "pg";
import type { OperationRow, StoredBalance } from "../database.ts";
import { type Db, poolOf } from "../pool.ts";
import { findAppliedOperations } from "./findAppliedOperations.ts";
import { lockAccounts } from "./lockAccounts.ts";
import type { BatchInput, OperationOutcome, PendingOperation } from "./types.ts";
import { type EntryWrite, type OperationWrite, writeBatch } from "./writeBatch.ts";

/**
 * Applies the ordered operations of one partition in ONE transaction and returns one outcome per
 * input, in input order:
 *
 * 1. ids already stored (an earlier run of the same job) are skipped and their stored result returned;
 *    an id repeated inside the batch is applied once. With `likelyFresh` (a job's first run) the lookup
 *    is skipped: the primary key of `operations` is the real guard, and when it fires the batch is
 *    rolled back and done again with the lookup;
 * 2. the existing balance rows of every account the batch touches are locked in (user, currency) order;
 * 3. the operations are applied in memory, in order, each `applied` or `rejected` on its own;
 * 4. one statement writes every changed balance (version-guarded), the operation rows and the entries.
 *
 * Rejections are results. Errors thrown are infrastructure failures (see `isRetryableDatabaseError`):
 * nothing of the batch is written then, and the caller retries the whole batch in place.
 *
 * @example
 * const outcomes = await applyOperationBatch(db, { partition: 3, operations, scales });
 * outcomes[0] // { id: "op_01...", status: "applied", balances: [{ userId: "alice", ... }], replayed: false, ... }
 */
export async function applyOperationBatch(db: Db, input: BatchInput): Promise<OperationOutcome[]> {
  if (input.operations.length === 0) return [];
  const pool = poolOf(db);
  if (input.likelyFresh) {
    try {
      return await inTransaction(pool, (client) => applyInTransaction(client, input, false));
    } catch (error) {
      // Some id was stored after all: the primary key of `operations` caught it. Look first.
      if (!isOperationsConflict(error)) throw error;
    }
  }
  return inTransaction(pool, (client) => applyInTransaction(client, input, true));
}

/**
 * Runs `work` in a transaction on a pooled connection. The batch joins a few hundred keys against
 * `accounts`, which is hash-partitioned: without fresh statistics the planner sorts or hashes every
 * partition in full (measured: 84 ms for 1000 keys over 100k rows), while a nested loop of index
 * lookups, pruned to one partition per key at run time, takes a few ms whatever the statistics say.
 * So the transaction turns hash and merge joins off.
 */
async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    // A connection that cannot even roll back is not given back to the pool.
    client.release(broken);
  }
}

async function applyInTransaction(
  client: PoolClient,
  input: BatchInput,
  lookFirst: boolean,
): Promise<OperationOutcome[]> {
  {
    const stored = lookFirst ? await findStored(client, input.operations) : new Map<string, OperationRow>();
    const fresh = uniqueFresh(input.operations, stored);

    const plans = new Map<string, Plan>();
    for (const op of fresh) plans.set(op.id, planOperation(op.request, input.partition, input.scales));
    const locked = await lockAccounts(client, touchedAccounts(plans.values()));
    const book = new BalanceBook(
      locked.map((row) => toBalance(row, input.scales)),
      input.scales,
    );

    const finishedAt = new Date();
    const outcomes = new Map<string, OperationOutcome>();
    const operationWrites: OperationWrite[] = [];
    const entryWrites: EntryWrite[] = [];
    for (const op of fresh) {
      const plan = plans.get(op.id) as Plan;
      const result = plan.ok
        ? book.apply(plan.postings)
        : { status: "rejected" as const, rejection: plan.rejection };
      let balances: StoredBalance[] | null = null;
      let rejection: Rejection | null = null;
      if (result.status === "applied") {
        balances = result.touched
          .filter((b) => !isSystemAccount(b.userId))
          .map((b) => toStoredBalance(b, input.scales));
        for (const entry of result.entries) {
          const scale = scaleOf(input.scales, entry.currency);
          entryWrites.push({
            operationId: op.id,
            seq: entry.seq,
            userId: entry.userId,
            currency: entry.currency,
            bucket: entry.bucket,
            amount: formatAmount(entry.amount, scale),
            balanceAfter: formatAmount(entry.balanceAfter, scale),
            version: entry.version,
          });
        }
      } else {
        rejection = result.rejection;
      }
      operationWrites.push({
        id: op.id,
        clientId: op.clientId,
        idempotencyKey: op.idempotencyKey,
        type: op.request.type,
        request: op.request,
        requestHash: op.requestHash,
        status: result.status,
        rejection,
        balances,
        acceptedAt: op.acceptedAt,
        callbackUrl: op.request.callbackUrl ?? null,
      });
      outcomes.set(op.id, {
        id: op.id,
        clientId: op.clientId,
        type: op.request.type,
        request: op.request,
        status: result.status,
        rejection,
        balances,
        acceptedAt: op.acceptedAt,
        finishedAt,
        replayed: false,
      });
    }

    const balanceWrites = book.changes().map(({ balance, loadedVersion }) => {
      const scale = scaleOf(input.scales, balance.currency);
      return {
        userId: balance.userId,
        currency: balance.currency,
        available: formatAmount(balance.available, scale),
        reserved: formatAmount(balance.reserved, scale),
        version: balance.version,
        loadedVersion: loadedVersion ?? null,
      };
    });
    if (operationWrites.length > 0) {
      await writeBatch(client, {
        partition: input.partition,
        finishedAt,
        balances: balanceWrites,
        operations: operationWrites,
        entries: entryWrites,
      });
    }

    const returned = new Set<string>();
    return input.operations.map((op) => {
      const outcome = outcomes.get(op.id);
      if (outcome) {
        // A repeat of an id inside this batch gets the first one's result, marked as a replay.
        if (returned.has(op.id)) return { ...outcome, replayed: true };
        returned.add(op.id);
        return outcome;
      }
      return fromStored(stored.get(op.id) as OperationRow);
    });
  }
}

/** A unique violation on `operations`: an operation id that is stored already. */
function isOperationsConflict(error: unknown): boolean {
  const e = error as { code?: unknown; table?: unknown } | null;
  return e?.code === "23505" && typeof e.table === "string" && e.table.startsWith("operations");
}

async function findStored(
  client: PoolClient,
  operations: readonly PendingOperation[],
): Promise<Map<string, OperationRow>> {
  let from = operations[0]?.acceptedAt ?? new Date();
  let to = from;
  for (const op of operations) {
    if (op.acceptedAt < from) from = op.acceptedAt;
    if (op.acceptedAt > to) to = op.acceptedAt;
  }
  const rows = await findAppliedOperations(
    client,
    operations.map((op) => op.id),
    from,
    to,
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** The operations not stored yet, each id once, in order. */
function uniqueFresh(
  operations: readonly PendingOperation[],
  stored: Map<string, OperationRow>,
): PendingOperation[] {
  const seen = new Set<string>();
  const fresh: PendingOperation[] = [];
  for (const op of operations) {
    if (stored.has(op.id) || seen.has(op.id)) continue;
    seen.add(op.id);
    fresh.push(op);
  }
  return fresh;
}

/** Every account the plans post to or from, each once, in lock order. */
function touchedAccounts(plans: Iterable<Plan>): { userId: string; currency: string }[] {
  const accounts = new Map<string, { userId: string; currency: string }>();
  for (const plan of plans) {
    if (!plan.ok) continue;
    for (const posting of plan.postings) {
      for (const leg of [posting.from, posting.to]) {
        accounts.set(`${leg.userId}\u0000${leg.currency}`, { userId: leg.userId, currency: leg.currency });
      }
    }
  }
  return [...accounts.values()].sort(compareAccounts);
}

function scaleOf(scales: ReadonlyMap<string, number>, currency: string): number {
  const scale = scales.get(currency);
  if (scale === undefined) throw new Error(`no scale known for currency ${currency}`);
  return scale;
}

function toBalance(
  row: { user_id: string; currency: string; available: string; reserved: string; version: number },
  scales: ReadonlyMap<string, number>,
): Balance {
  const scale = scaleOf(scales, row.currency);
  return {
    userId: row.user_id,
    currency: row.currency,
    available: parseDecimal(row.available, scale),
    reserved: parseDecimal(row.reserved, scale),
    version: row.version,
  };
}

function toStoredBalance(balance: Balance, scales: ReadonlyMap<string, number>): StoredBalance {
  const scale = scaleOf(scales, balance.currency);
  return {
    userId: balance.userId,
    currency: balance.currency,
    available: formatAmount(balance.available, scale),
    reserved: formatAmount(balance.reserved, scale),
    total: formatAmount(balance.available + balance.reserved, scale),
    version: balance.version,
  };
}

function fromStored(row: OperationRow): OperationOutcome {
  return {
    id: row.id,
    clientId: row.client_id,
    type: row.type,
    request: row.request,
    status: row.status,
    rejection: row.rejection as Rejection | null,
    balances: row.balances,
    acceptedAt: row.accepted_at,
    finishedAt: row.finished_at,
    replayed: true,
  };
}
