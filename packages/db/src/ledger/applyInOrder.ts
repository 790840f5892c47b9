import {
  type Balance,
  type BalanceBook,
  formatAmount,
  isSystemAccount,
  type Plan,
  type QueuedOperation,
  type Rejection,
} from "@accounts/domain";
import type { StoredBalance } from "../database.ts";
import { scaleOf } from "./scaleOf.ts";
import type { BalanceWrite, EntryWrite, OperationOutcome, OperationWrite } from "./types.ts";

/** What applying a batch in memory produced: the outcomes, and the rows to write for them. */
export interface AppliedBatch {
  outcomes: Map<string, OperationOutcome>;
  operations: OperationWrite[];
  entries: EntryWrite[];
}

/**
 * Step 3 of a batch: applies the fresh operations in order to the book (in memory), each `applied`
 * or `rejected` on its own (a transfer is all or nothing), and builds the operation rows and ledger
 * entries to write, amounts as decimal strings at their currency's scale.
 */
export function applyInOrder(
  fresh: readonly QueuedOperation[],
  plans: ReadonlyMap<string, Plan>,
  book: BalanceBook,
  scales: ReadonlyMap<string, number>,
  finishedAt: Date,
): AppliedBatch {
  const applied: AppliedBatch = { outcomes: new Map(), operations: [], entries: [] };
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
        .map((b) => toStoredBalance(b, scales));
      for (const entry of result.entries) {
        const scale = scaleOf(scales, entry.currency);
        applied.entries.push({
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
    const acceptedAt = new Date(op.acceptedAt);
    applied.operations.push({
      id: op.id,
      clientId: op.clientId,
      idempotencyKey: op.idempotencyKey,
      type: op.request.type,
      request: op.request,
      requestHash: op.requestHash,
      status: result.status,
      rejection,
      balances,
      acceptedAt,
      callbackUrl: op.request.callbackUrl ?? null,
    });
    applied.outcomes.set(op.id, {
      id: op.id,
      clientId: op.clientId,
      type: op.request.type,
      request: op.request,
      status: result.status,
      rejection,
      balances,
      acceptedAt,
      finishedAt,
      replayed: false,
    });
  }
  return applied;
}

/**
 * Step 4 of a batch: the balance rows to write, one per changed account however many of the batch's
 * operations touched it, each with the version it was locked at (the guard).
 */
export function balanceWrites(book: BalanceBook, scales: ReadonlyMap<string, number>): BalanceWrite[] {
  return book.changes().map(({ balance, loadedVersion }) => ({
    ...formatted(balance, scales),
    version: balance.version,
    loadedVersion: loadedVersion ?? null,
  }));
}

function toStoredBalance(balance: Balance, scales: ReadonlyMap<string, number>): StoredBalance {
  const scale = scaleOf(scales, balance.currency);
  return {
    ...formatted(balance, scales),
    total: formatAmount(balance.available + balance.reserved, scale),
    version: balance.version,
  };
}

/** A balance's account and buckets, the buckets as decimal strings at its currency's scale. */
function formatted(balance: Balance, scales: ReadonlyMap<string, number>) {
  const scale = scaleOf(scales, balance.currency);
  return {
    userId: balance.userId,
    currency: balance.currency,
    available: formatAmount(balance.available, scale),
    reserved: formatAmount(balance.reserved, scale),
  };
}
