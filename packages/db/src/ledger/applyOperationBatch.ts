import type { Pool, PoolClient } from "pg";
import type { OperationRow } from "../database.ts";
import { type Db, poolOf } from "../pool.ts";
import { assertCommitReplicated, forgetReplicationNotices } from "../replicas/unreplicatedCommit.ts";
import { applyInOrder, balanceWrites } from "./applyInOrder.ts";
import { findDuplicateKeys } from "./idempotencyKeys.ts";
import { lookUpStored, storedOutcome, uniqueFresh } from "./lookUpStored.ts";
import { planAndLock } from "./planAndLock.ts";
import type { BatchInput, OperationOutcome } from "./types.ts";
import { writeBatch } from "./writeBatch.ts";

/**
 * Applies the ordered operations of one partition in ONE transaction and returns one outcome per
 * input, in input order. The steps, each in its own module:
 *
 * 1. look up (lookUpStored.ts): ids already stored (an earlier run of the same job) are skipped and
 *    their stored result returned; an id repeated inside the batch is applied once; an operation
 *    whose Idempotency-Key another operation was applied under is rejected as a duplicate, never
 *    applied (idempotencyKeys.ts). With
 *    `likelyFresh` (a job's first run) the lookup is skipped: the primary keys of `operations` and
 *    `idempotency_keys` are the real guards, and when it fires the batch is rolled back and done again with the lookup;
 * 2. lock (planAndLock.ts): the existing balance rows of every account the batch touches are locked
 *    in (user, currency) order;
 * 3. apply (applyInOrder.ts): the operations are applied in memory, in order, each `applied` or
 *    `rejected` on its own;
 * 4. write (writeBatch.ts): every changed balance (version-guarded), the operation rows, the entries
 *    and the webhook outbox rows.
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
    forgetReplicationNotices(client);
    await client.query("BEGIN; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
    const result = await work(client);
    await client.query("COMMIT");
    // A cancelled wait for the synchronous standby: committed here, maybe lost in a failover.
    assertCommitReplicated(client);
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
  const stored = lookFirst ? await lookUpStored(client, input.operations) : new Map<string, OperationRow>();
  const fresh = uniqueFresh(input.operations, stored);
  // Keys held by another operation: looked up with the ids (a first run relies on the unique key).
  const duplicates = lookFirst ? await findDuplicateKeys(client, fresh) : undefined;
  const { plans, book } = await planAndLock(client, fresh, input, duplicates);
  const finishedAt = new Date();
  const applied = applyInOrder(fresh, plans, book, input.scales, finishedAt);
  if (applied.operations.length > 0) {
    await writeBatch(client, {
      partition: input.partition,
      finishedAt,
      balances: balanceWrites(book, input.scales),
      operations: applied.operations,
      entries: applied.entries,
    });
  } else if (stored.size > 0) {
    await awaitStandbyFor(client, stored);
  }
  return inInputOrder(input, applied.outcomes, stored);
}

/** One outcome per input operation, in input order: fresh ones as applied now, stored ones replayed. */
function inInputOrder(
  input: BatchInput,
  outcomes: ReadonlyMap<string, OperationOutcome>,
  stored: ReadonlyMap<string, OperationRow>,
): OperationOutcome[] {
  const returned = new Set<string>();
  return input.operations.map((op) => {
    const outcome = outcomes.get(op.id);
    if (outcome) {
      // A repeat of an id inside this batch gets the first one's result, marked as a replay.
      if (returned.has(op.id)) return { ...outcome, replayed: true };
      returned.add(op.id);
      return outcome;
    }
    return storedOutcome(stored.get(op.id) as OperationRow);
  });
}

/**
 * Every operation was stored by an earlier run, whose commit's wait for the synchronous standby may
 * have been cancelled (UnreplicatedCommitError). A transaction that writes no WAL does not wait for
 * the standby, so its results would be reported without the standby having them. Locking one stored
 * row writes WAL: this commit then waits for the standby, and WAL is replicated in order, so the
 * earlier commit is on the standby once it returns. Only on a rerun that found everything stored.
 */
async function awaitStandbyFor(client: PoolClient, stored: ReadonlyMap<string, OperationRow>): Promise<void> {
  const [id] = stored.keys();
  await client.query("SELECT 1 FROM operations WHERE id = $1 FOR UPDATE", [id]);
}

/**
 * A unique violation on `operations` (an operation id that is stored already) or on
 * `idempotency_keys` (a key applied already under another id, see idempotencyKeys.ts).
 */
function isOperationsConflict(error: unknown): boolean {
  const e = error as { code?: unknown; table?: unknown } | null;
  return (
    e?.code === "23505" &&
    typeof e.table === "string" &&
    (e.table.startsWith("operations") || e.table === "idempotency_keys")
  );
}
