import {
  type Balance,
  BalanceBook,
  compareAccounts,
  type Plan,
  parseDecimal,
  planOperation,
  type QueuedOperation,
  type Rejection,
} from "@accounts/domain";
import type { PoolClient } from "pg";
import { type LockedAccount, lockAccounts } from "./lockAccounts.ts";
import { scaleOf } from "./scaleOf.ts";
import type { BatchInput } from "./types.ts";

/**
 * Step 2 of a batch: plans each fresh operation (its postings, or a rejection) and locks the existing
 * balance row of every account the plans touch, in the one global lock order (lockAccounts.ts).
 * Returns the plans by operation id and a book holding the locked balances.
 */
export async function planAndLock(
  client: PoolClient,
  fresh: readonly QueuedOperation[],
  input: Pick<BatchInput, "partition" | "scales">,
  rejected: ReadonlyMap<string, Rejection> = new Map(),
): Promise<{ plans: Map<string, Plan>; book: BalanceBook }> {
  const plans = new Map<string, Plan>();
  for (const op of fresh) {
    const rejection = rejected.get(op.id);
    plans.set(
      op.id,
      rejection ? { ok: false, rejection } : planOperation(op.request, input.partition, input.scales),
    );
  }
  const locked = await lockAccounts(client, touchedAccounts(plans.values()));
  const book = new BalanceBook(
    locked.map((row) => toBalance(row, input.scales)),
    input.scales,
  );
  return { plans, book };
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

function toBalance(row: LockedAccount, scales: ReadonlyMap<string, number>): Balance {
  const scale = scaleOf(scales, row.currency);
  return {
    userId: row.user_id,
    currency: row.currency,
    available: parseDecimal(row.available, scale),
    reserved: parseDecimal(row.reserved, scale),
    version: row.version,
  };
}
