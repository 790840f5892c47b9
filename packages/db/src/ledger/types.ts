import { acceptedAtOf, newOperationId, type OperationRequest, type Rejection } from "@accounts/domain";
import type { StoredBalance } from "../database.ts";

/** An accepted operation waiting to be applied, as a partition job carries it. */
export interface PendingOperation {
  id: string;
  clientId: string;
  idempotencyKey: string | null;
  request: OperationRequest;
  requestHash: string;
  acceptedAt: Date;
}

/** The final result of one operation of a batch. */
export interface OperationOutcome {
  id: string;
  clientId: string;
  type: OperationRequest["type"];
  request: Record<string, unknown>;
  status: "applied" | "rejected";
  rejection: Rejection | null;
  /** Every touched user account right after the operation (null when rejected). */
  balances: StoredBalance[] | null;
  acceptedAt: Date;
  finishedAt: Date;
  /** True when the operation had been applied before (by an earlier run) and this is its stored result. */
  replayed: boolean;
}

export interface BatchInput {
  /** The partition whose queue the batch came from: it picks the partition's `@external` account. */
  partition: number;
  operations: readonly PendingOperation[];
  /** Currency code to scale, covering at least the currencies of the batch (others are rejected). */
  scales: ReadonlyMap<string, number>;
  /**
   * The operations are probably not stored yet (a job's first run): skip looking for them and rely on
   * the primary key, saving a query per batch. Correct either way; only speed differs.
   */
  likelyFresh?: boolean;
}

/**
 * A new pending operation with a fresh id (for tests, benchmarks and tools that apply operations
 * without the API). Its acceptance time is the id's time, as for every operation.
 *
 * @example
 * newPendingOperation({ type: "credit", account: { userId: "a", currency: "BTC" }, amount: "1" }, "bench")
 */
export function newPendingOperation(
  request: OperationRequest,
  clientId: string,
  requestHash = "-",
): PendingOperation {
  const id = newOperationId();
  return { id, clientId, idempotencyKey: null, request, requestHash, acceptedAt: acceptedAtOf(id) };
}
