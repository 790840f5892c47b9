import { applyOperationBatch, type Db, isRetryableDatabaseError } from "@accounts/db";
import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation } from "@accounts/domain";

const scales = new Map([["USD", 2]]);

/**
 * Creates the load's accounts (a credit of 1000 each, in batches of 1000 from one loop), so that
 * the load's loops update rows rather than race each other to create them.
 */
export async function seedLoadAccounts(db: Db, users: number): Promise<void> {
  for (let start = 0; start < users; start += 1000) {
    const operations = Array.from({ length: Math.min(1000, users - start) }, (_, k) =>
      newQueuedOperation(
        { type: "credit", account: { userId: `load-${start + k}`, currency: "USD" }, amount: "1000" },
        "load",
      ),
    );
    await applyOperationBatch(db, { partition: 0, operations, scales });
  }
}

/**
 * Applies batches of operations through the ledger core, as workers do (one transaction per batch,
 * version-guarded balance writes, operation rows and ledger entries), from `concurrency` loops on
 * distinct partitions, until `stop()` says so: credits of one cent over `users` accounts (seeded
 * first with seedLoadAccounts), and every fourth a reserve of one cent. Returns the number of
 * operations applied or rejected.
 *
 * @example
 * let done = false; setTimeout(() => { done = true; }, 60_000);
 * await applyLoad(db, { concurrency: 4, batchSize: 500, users: 50_000, stop: () => done });
 */
export async function applyLoad(
  db: Db,
  options: {
    concurrency: number;
    batchSize: number;
    users: number;
    stop: () => boolean;
    onBatch?: (applied: number) => void;
  },
): Promise<number> {
  let applied = 0;
  const loop = async (partition: number) => {
    let i = 0;
    while (!options.stop()) {
      const operations = Array.from({ length: options.batchSize }, () => {
        i += 1;
        const account = { userId: `load-${Math.floor(Math.random() * options.users)}`, currency: "USD" };
        const request: OperationRequest =
          i % 4 === 0
            ? { type: "reserve", account, amount: "0.01" }
            : { type: "credit", account, amount: "0.01" };
        return newQueuedOperation(request, "load");
      });
      let outcomes: Awaited<ReturnType<typeof applyOperationBatch>>;
      try {
        outcomes = await applyOperationBatch(db, { partition, operations, scales, likelyFresh: true });
      } catch (error) {
        // Two loops creating the same new account, a version conflict: a worker retries the batch
        // in place, and so does this load.
        if (isRetryableDatabaseError(error)) continue;
        throw error;
      }
      applied += outcomes.length;
      options.onBatch?.(applied);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, k) => loop(k)));
  return applied;
}
