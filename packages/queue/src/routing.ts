import type { OperationRequest } from "@accounts/domain";

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `text`. Stable across processes, versions and platforms: the
 * partition of an account must never change while operations for it may be queued.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The partition of a user: `fnv1a32(userId) mod partitions`.
 *
 * @example
 * partitionOfUser("alice", 16) // 7
 */
export function partitionOfUser(userId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1, got ${partitions}`);
  return fnv1a32(userId) % partitions;
}

/** The user an operation is ordered by: its account, or the sender of a transfer's first posting. */
function routingUser(request: OperationRequest): string {
  return request.type === "transfer"
    ? (request.postings[0] as { from: { userId: string } }).from.userId
    : request.account.userId;
}

/**
 * The partition whose queue applies `request`. Operations of the same first user account share a
 * partition, and a partition applies its jobs one at a time in order: that is the per-account order.
 *
 * @example
 * partitionOf({ type: "credit", account: { userId: "alice", currency: "BTC" }, amount: "1" }, 16) // 7
 */
export function partitionOf(request: OperationRequest, partitions: number): number {
  return partitionOfUser(routingUser(request), partitions);
}
