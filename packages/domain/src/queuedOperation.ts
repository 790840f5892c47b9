import { newOperationId, operationIdTime } from "./ids.ts";
import type { OperationRequest } from "./schemas.ts";

/**
 * An accepted operation waiting in a partition job to be applied: what the API queues (the job's
 * payload, validated by `@accounts/queue`) and what the ledger applies (`applyOperationBatch`).
 * Its Redis "pending" record is another thing: what a poll reads until the operation is final.
 */
export interface QueuedOperation {
  id: string;
  clientId: string;
  idempotencyKey: string | null;
  request: OperationRequest;
  /** The fingerprint of the request, compared when its Idempotency-Key comes back. */
  requestHash: string;
  /** Acceptance time, ms since the epoch: the time part of the id. */
  acceptedAt: number;
}

/**
 * A new queued operation with a fresh id (for tests, benchmarks and tools that apply operations
 * without the API). Its acceptance time is the id's time, as for every operation.
 *
 * @example
 * newQueuedOperation({ type: "credit", account: { userId: "a", currency: "BTC" }, amount: "1" }, "bench")
 * // { id: "op_01KB...00", clientId: "bench", idempotencyKey: null, request: {...}, requestHash: "-", acceptedAt: 1795068000000 }
 */
export function newQueuedOperation(
  request: OperationRequest,
  clientId: string,
  requestHash = "-",
  partition = 0,
): QueuedOperation {
  const id = newOperationId(partition);
  return { id, clientId, idempotencyKey: null, request, requestHash, acceptedAt: operationIdTime(id) };
}
